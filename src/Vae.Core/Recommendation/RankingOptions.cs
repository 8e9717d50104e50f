namespace Vae.Core.Recommendation;

/// <summary>Which cut-offs <see cref="RecommendationEvaluator"/> reports, and how many users it scores at once.</summary>
public sealed record RankingOptions
{
    /// <summary>The k of each NDCG@k; the reference code reports NDCG@100.</summary>
    public IReadOnlyList<int> NdcgCutoffs { get; init; } = [100];

    /// <summary>The k of each Recall@k; the reference code reports Recall@20 and Recall@50.</summary>
    public IReadOnlyList<int> RecallCutoffs { get; init; } = [20, 50];

    /// <summary>Users scored per call of <see cref="IRecommender.Score"/>; the reference evaluates 2,000 at a time.</summary>
    public int BatchSize { get; init; } = 2000;
}
