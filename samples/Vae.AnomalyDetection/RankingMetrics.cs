namespace Vae.AnomalyDetection;

/// <summary>Average precision as scikit-learn computes it, beside the library's ROC AUC.</summary>
internal static class RankingMetrics
{
    /// <summary>
    /// The area under the precision-recall curve as a step function: the sum over distinct score thresholds, highest
    /// first, of the recall gained times the precision there (scikit-learn's <c>average_precision_score</c>). Tied scores
    /// enter together.
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> isAnomaly)
    {
        if (scores.Count != isAnomaly.Count) throw new ArgumentException($"{scores.Count} scores but {isAnomaly.Count} labels.", nameof(isAnomaly));
        var positives = isAnomaly.Count(a => a);
        if (positives == 0) throw new ArgumentException("Average precision needs at least one anomaly.", nameof(isAnomaly));
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        double precisionSum = 0;
        int truePositives = 0, seen = 0;
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
}
