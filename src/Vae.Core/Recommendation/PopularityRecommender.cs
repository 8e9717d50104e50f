using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// The popularity baseline: every user gets the same ranking, items by the number of training users who clicked
/// them. A personalised model has to beat it by a wide margin to be worth its cost.
/// </summary>
public sealed class PopularityRecommender : IRecommender
{
    private readonly float[] _scores;

    /// <summary>Counts the users per item in <paramref name="train"/>.</summary>
    /// <param name="train">The training clicks.</param>
    public PopularityRecommender(ClickMatrix train)
    {
        ArgumentNullException.ThrowIfNull(train);
        ItemCount = train.ItemCount;
        UsersPerItem = train.UsersPerItem();
        _scores = UsersPerItem.Select(c => (float)c).ToArray();
    }

    /// <inheritdoc/>
    public int ItemCount { get; }

    /// <summary>The number of training users who clicked each item: the score of every user.</summary>
    public IReadOnlyList<int> UsersPerItem { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="history"/> does not have <see cref="ItemCount"/> items.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows do not lie within <paramref name="history"/>.</exception>
    public Tensor Score(ClickMatrix history, int firstUser, int count)
    {
        Recommenders.CheckBatch(history, firstUser, count, ItemCount);
        VaeRuntime.EnsureNativeLibraryLoadable();
        using var row = torch.tensor(_scores, new long[] { 1, ItemCount }, ScalarType.Float32);
        return row.expand(count, ItemCount).contiguous();
    }
}
