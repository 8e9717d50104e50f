using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// A model that scores every item for users given their click histories; higher scores rank first.
/// <see cref="RecommendationEvaluator"/> ranks these scores after excluding each user's history.
/// </summary>
public interface IRecommender
{
    /// <summary>The number of items scored, the column count of the histories the model accepts.</summary>
    int ItemCount { get; }

    /// <summary>
    /// Scores all items for the users <c>[firstUser, firstUser + count)</c> of <paramref name="history"/>.
    /// </summary>
    /// <param name="history">The click histories (the fold-in clicks of held-out users), with <see cref="ItemCount"/> columns.</param>
    /// <param name="firstUser">The first row to score.</param>
    /// <param name="count">How many rows to score.</param>
    /// <returns>A float32 tensor <c>[count, ItemCount]</c> that the caller owns.</returns>
    Tensor Score(ClickMatrix history, int firstUser, int count);
}
