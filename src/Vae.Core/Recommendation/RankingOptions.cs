namespace Vae.Core.Recommendation;

/// <summary>Which cut-offs <see cref="RecommendationEvaluator"/> reports, and how many users it scores at once.</summary>
public sealed record RankingOptions
{
    /// <summary>The k of each NDCG@k; the reference code reports NDCG@100.</summary>
    /// <value>Defaults to <c>[100]</c>.</value>
    public IReadOnlyList<int> NdcgCutoffs { get; init => field = ValueList<int>.Of(value); } = ValueList<int>.Of([100]);

    /// <summary>The k of each Recall@k; the reference code reports Recall@20 and Recall@50.</summary>
    /// <value>Defaults to <c>[20, 50]</c>.</value>
    public IReadOnlyList<int> RecallCutoffs { get; init => field = ValueList<int>.Of(value); } = ValueList<int>.Of([20, 50]);

    /// <summary>Users scored per call of <see cref="IRecommender.Score"/>; the reference evaluates 2,000 at a time.</summary>
    /// <value>Defaults to <c>2000</c>.</value>
    public int BatchSize { get; init; } = 2000;

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(NdcgCutoffs, nameof(NdcgCutoffs));
        ArgumentNullException.ThrowIfNull(RecallCutoffs, nameof(RecallCutoffs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        if (NdcgCutoffs.Count + RecallCutoffs.Count == 0 || NdcgCutoffs.Concat(RecallCutoffs).Any(k => k <= 0))
            throw new ArgumentException($"Cut-offs must be positive and at least one is needed; got NDCG {NdcgCutoffs}, Recall {RecallCutoffs}.", nameof(NdcgCutoffs));
    }
}
