using System.Globalization;
using System.Text;

namespace Vae.Core.Recommendation;

/// <summary>
/// Per-user NDCG@k and Recall@k of one evaluation, and their means over the users evaluated (those with at least one
/// held-out item).
/// </summary>
public sealed class RankingReport
{
    private readonly IReadOnlyDictionary<int, double[]> _ndcg;
    private readonly IReadOnlyDictionary<int, double[]> _recall;

    internal RankingReport(int[] users, int skippedUsers, IReadOnlyDictionary<int, double[]> ndcg, IReadOnlyDictionary<int, double[]> recall)
    {
        Users = users;
        SkippedUserCount = skippedUsers;
        _ndcg = ndcg;
        _recall = recall;
    }

    /// <summary>The rows evaluated, ascending; the per-user arrays are aligned with it.</summary>
    public IReadOnlyList<int> Users { get; }

    /// <summary>Rows without held-out items, for which the metrics are undefined and which were left out.</summary>
    public int SkippedUserCount { get; }

    /// <summary>The NDCG cut-offs reported, ascending.</summary>
    public IReadOnlyList<int> NdcgCutoffs => _ndcg.Keys.Order().ToArray();

    /// <summary>The Recall cut-offs reported, ascending.</summary>
    public IReadOnlyList<int> RecallCutoffs => _recall.Keys.Order().ToArray();

    /// <summary>NDCG@<paramref name="k"/> of every evaluated user, aligned with <see cref="Users"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="k"/> was not evaluated.</exception>
    public IReadOnlyList<double> NdcgPerUser(int k) => Lookup(_ndcg, k, "NDCG");

    /// <summary>Recall@<paramref name="k"/> of every evaluated user, aligned with <see cref="Users"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="k"/> was not evaluated.</exception>
    public IReadOnlyList<double> RecallPerUser(int k) => Lookup(_recall, k, "Recall");

    /// <summary>The mean NDCG@<paramref name="k"/> over the evaluated users (NaN when there are none).</summary>
    /// <exception cref="ArgumentException"><paramref name="k"/> was not evaluated.</exception>
    public double MeanNdcg(int k) => Mean(Lookup(_ndcg, k, "NDCG"));

    /// <summary>The mean Recall@<paramref name="k"/> over the evaluated users (NaN when there are none).</summary>
    /// <exception cref="ArgumentException"><paramref name="k"/> was not evaluated.</exception>
    public double MeanRecall(int k) => Mean(Lookup(_recall, k, "Recall"));

    /// <summary>The standard error of <see cref="MeanNdcg"/> as the reference prints it: population standard deviation over √users.</summary>
    /// <exception cref="ArgumentException"><paramref name="k"/> was not evaluated.</exception>
    public double NdcgStandardError(int k) => StandardError(Lookup(_ndcg, k, "NDCG"));

    /// <summary>The standard error of <see cref="MeanRecall"/>: population standard deviation over √users.</summary>
    /// <exception cref="ArgumentException"><paramref name="k"/> was not evaluated.</exception>
    public double RecallStandardError(int k) => StandardError(Lookup(_recall, k, "Recall"));

    /// <summary>One line per metric, e.g. <c>NDCG@100 = 0.42000 (0.00300)</c>, and the user counts.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var k in NdcgCutoffs)
            text.AppendLine(CultureInfo.InvariantCulture, $"NDCG@{k} = {MeanNdcg(k):F5} ({NdcgStandardError(k):F5})");
        foreach (var k in RecallCutoffs)
            text.AppendLine(CultureInfo.InvariantCulture, $"Recall@{k} = {MeanRecall(k):F5} ({RecallStandardError(k):F5})");
        text.Append(CultureInfo.InvariantCulture, $"{Users.Count} users evaluated, {SkippedUserCount} without held-out items skipped");
        return text.ToString();
    }

    private static double[] Lookup(IReadOnlyDictionary<int, double[]> metric, int k, string name) =>
        metric.TryGetValue(k, out var values)
            ? values
            : throw new ArgumentException($"{name}@{k} was not evaluated; the cut-offs are {string.Join(", ", metric.Keys.Order())}.", nameof(k));

    private static double Mean(double[] values) => values.Length == 0 ? double.NaN : values.Average();

    private static double StandardError(double[] values)
    {
        if (values.Length == 0)
            return double.NaN;
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
        return Math.Sqrt(variance) / Math.Sqrt(values.Length);
    }
}
