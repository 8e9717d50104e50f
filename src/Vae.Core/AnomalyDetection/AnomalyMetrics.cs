namespace Vae.Core;

/// <summary>Plain statistics for judging anomaly scores: ROC AUC, average precision and percentiles.</summary>
public static class AnomalyMetrics
{
    /// <summary>
    /// The average precision: the area under the precision-recall curve as a step function, the sum over distinct
    /// score thresholds, highest first, of the recall gained there times the precision there, as scikit-learn's
    /// <c>average_precision_score</c> computes it. Tied scores enter together.
    /// </summary>
    /// <param name="scores">One score per sample; higher means more anomalous.</param>
    /// <param name="isAnomaly">The true label of each sample, the same length.</param>
    /// <returns>The average precision in (0, 1]: 1 when every anomaly outscores every normal sample; about the share of anomalies for chance.</returns>
    /// <exception cref="ArgumentException">The lengths differ, a score is NaN, or there is no anomaly.</exception>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> isAnomaly)
    {
        CheckScores(scores, isAnomaly);
        var positives = isAnomaly.Count(label => label);
        if (positives == 0)
            throw new ArgumentException($"Average precision needs at least one anomaly; all {scores.Count} labels are false.", nameof(isAnomaly));
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var precisionSum = 0.0;
        var (truePositives, seen) = (0, 0);
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            var gained = 0;
            for (var i = start; i <= end; i++)
            {
                if (isAnomaly[order[i]]) gained++;
            }
            truePositives += gained;
            seen += end - start + 1;
            precisionSum += gained * (double)truePositives / seen;
            start = end + 1;
        }
        return precisionSum / positives;
    }

    /// <summary>
    /// The area under the ROC curve: the probability that a randomly chosen anomaly scores higher than a randomly
    /// chosen normal sample, ties counting one half. Computed from average ranks (the Mann-Whitney U statistic), so
    /// tied scores are handled exactly, in O(n log n).
    /// </summary>
    /// <param name="scores">One score per sample; higher means more anomalous.</param>
    /// <param name="isAnomaly">The true label of each sample, the same length.</param>
    /// <returns>The AUC in [0, 1]: 1 for perfect separation, 0.5 for chance, 0 for perfectly reversed scores.</returns>
    /// <exception cref="ArgumentException">The lengths differ, a score is NaN, or either class is empty.</exception>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> isAnomaly)
    {
        CheckScores(scores, isAnomaly);
        long positives = isAnomaly.Count(label => label);
        long negatives = scores.Count - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException(
                $"The AUC needs both anomalies and normal samples, but there are {positives} anomalies and {negatives} normal samples.", nameof(isAnomaly));

        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positiveRankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            // Ranks are 1-based; a run of ties shares the average of the ranks it spans.
            var averageRank = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++)
            {
                if (isAnomaly[order[i]]) positiveRankSum += averageRank;
            }
            start = end + 1;
        }
        var u = positiveRankSum - positives * (positives + 1) / 2.0;
        return u / ((double)positives * negatives);
    }

    /// <summary>
    /// The <paramref name="percentile"/>-th percentile of <paramref name="values"/>, interpolating linearly between
    /// the two nearest order statistics (NumPy's default method): position <c>p / 100 * (n - 1)</c> in the sorted values.
    /// </summary>
    /// <param name="values">At least one value, none NaN.</param>
    /// <param name="percentile">In [0, 100].</param>
    /// <returns>The percentile.</returns>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty or contains NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("values must not be empty.", nameof(values));
        if (double.IsNaN(percentile) || percentile < 0 || percentile > 100)
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "percentile must lie in [0, 100].");
        if (values.Any(double.IsNaN)) throw new ArgumentException("values must not contain NaN.", nameof(values));
        var sorted = values.OrderBy(v => v).ToArray();
        var position = percentile / 100 * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        var fraction = position - lower;
        if (fraction == 0) return sorted[lower];
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower]);
    }

    // One label per score and no NaN score: the rules both rankings share.
    private static void CheckScores(IReadOnlyList<double> scores, IReadOnlyList<bool> isAnomaly)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(isAnomaly);
        if (scores.Count != isAnomaly.Count)
            throw new ArgumentException(
                $"{nameof(isAnomaly)} must have one label per score: there are {scores.Count} scores and {isAnomaly.Count} labels.", nameof(isAnomaly));
        for (var i = 0; i < scores.Count; i++)
        {
            if (double.IsNaN(scores[i]))
                throw new ArgumentException($"{nameof(scores)}[{i}] is NaN.", nameof(scores));
        }
    }
}
