using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// Evaluates a recommender on held-out users as the Mult-VAE reference code does: score each user's fold-in history,
/// exclude the fold-in items, rank, and compare the top of the ranking with the held-out items
/// (see <see cref="RankingMetrics"/>).
/// </summary>
public static class RecommendationEvaluator
{
    /// <summary>Evaluates <paramref name="recommender"/> on the validation or test users of a split.</summary>
    /// <param name="recommender">The model to evaluate.</param>
    /// <param name="users">Fold-in and held-out clicks of the same users.</param>
    /// <param name="options">Cut-offs and batch size; the reference's NDCG@100, Recall@20 and Recall@50 by default.</param>
    /// <exception cref="ArgumentException">The item counts differ, a cut-off is not positive, or the model returned scores of the wrong shape or NaN.</exception>
    public static RankingReport Evaluate(IRecommender recommender, HeldOutUsers users, RankingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(users);
        return Evaluate(recommender, users.FoldIn, users.HeldOut, options);
    }

    /// <summary>Evaluates <paramref name="recommender"/> given fold-in and held-out matrices of the same users.</summary>
    /// <param name="recommender">The model to evaluate.</param>
    /// <param name="foldIn">The histories the model scores from; their items are never counted as recommendations.</param>
    /// <param name="heldOut">The items to predict; users without any are skipped.</param>
    /// <param name="options">Cut-offs and batch size; the reference's NDCG@100, Recall@20 and Recall@50 by default.</param>
    /// <exception cref="ArgumentException">The shapes differ, a cut-off is not positive, or the model returned scores of the wrong shape or NaN.</exception>
    public static RankingReport Evaluate(IRecommender recommender, ClickMatrix foldIn, ClickMatrix heldOut, RankingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(recommender);
        ArgumentNullException.ThrowIfNull(foldIn);
        ArgumentNullException.ThrowIfNull(heldOut);
        options ??= new RankingOptions();
        if (foldIn.UserCount != heldOut.UserCount || foldIn.ItemCount != heldOut.ItemCount || foldIn.ItemCount != recommender.ItemCount)
            throw new ArgumentException(
                $"Fold-in {foldIn.UserCount} x {foldIn.ItemCount}, held-out {heldOut.UserCount} x {heldOut.ItemCount} and a model of {recommender.ItemCount} items do not match.",
                nameof(heldOut));
        options.Validate();
        var cutoffs = options.NdcgCutoffs.Concat(options.RecallCutoffs).ToArray();
        var deepest = cutoffs.Max();

        var users = new List<int>();
        var ndcg = options.NdcgCutoffs.Distinct().ToDictionary(k => k, _ => new List<double>());
        var recall = options.RecallCutoffs.Distinct().ToDictionary(k => k, _ => new List<double>());
        var skipped = 0;
        for (var start = 0; start < foldIn.UserCount; start += options.BatchSize)
        {
            var count = Math.Min(options.BatchSize, foldIn.UserCount - start);
            // The conversions' results belong to the scope: a temporary that nothing references can be finalized in the
            // middle of the libtorch call that reads it. The batch is ranked in libtorch's memory, without a managed copy
            // of its users x items scores.
            using var scope = NewDisposeScope();
            var batch = recommender.Score(foldIn, start, count);
            if (batch.dim() != 2 || batch.shape[0] != count || batch.shape[1] != foldIn.ItemCount)
                throw new ArgumentException($"The model returned scores of shape [{string.Join(", ", batch.shape)}] for {count} users of {foldIn.ItemCount} items.", nameof(recommender));
            var cpu = batch.to_type(ScalarType.Float32).cpu().contiguous();
            for (var r = 0; r < count; r++)
            {
                var user = start + r;
                var target = heldOut.ItemsOf(user);
                if (target.IsEmpty)
                {
                    skipped++;
                    continue;
                }
                var ranked = RankingMetrics.TopItems(NativeTensor.FloatSpan(cpu, (long)r * foldIn.ItemCount, foldIn.ItemCount), deepest, foldIn.ItemsOf(user));
                users.Add(user);
                foreach (var (k, values) in ndcg)
                    values.Add(RankingMetrics.NdcgAtK(ranked, target, k));
                foreach (var (k, values) in recall)
                    values.Add(RankingMetrics.RecallAtK(ranked, target, k));
            }
            GC.KeepAlive(cpu);
        }
        return new RankingReport(users.ToArray(), skipped,
            ndcg.ToDictionary(p => p.Key, p => p.Value.ToArray()), recall.ToDictionary(p => p.Key, p => p.Value.ToArray()));
    }
}
