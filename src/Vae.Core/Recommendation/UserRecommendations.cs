namespace Vae.Core.Recommendation;

/// <summary>The top-ranked items a model recommends to one user, best first, none of them in the user's history.</summary>
/// <param name="User">The row of the history matrix the list is for.</param>
/// <param name="Items">The recommended items (column indices), best first; fewer than asked when the user has seen almost every item.</param>
/// <param name="Scores">The model's score of each item, aligned with <paramref name="Items"/> (for Mult-VAE, a logit of the multinomial).</param>
public sealed record UserRecommendations(int User, IReadOnlyList<int> Items, IReadOnlyList<float> Scores);
