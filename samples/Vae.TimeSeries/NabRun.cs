using System.Diagnostics;
using Vae.Core;
using Vae.Core.TimeSeries;

namespace Vae.TimeSeries;

/// <summary>
/// NAB's protocol over a data folder: every series read once in time order, trained on its probationary period
/// (not scored: 0), every later row scored from the rows up to it, the same settings for every series.
/// </summary>
internal static class NabRun
{
    public sealed record Outcome(IReadOnlyDictionary<string, NabResultSeries> Results, IReadOnlyList<string> WrittenFiles, double Seconds, long ScoredRows);

    /// <summary>The relative paths (with '/') of DIR/&lt;category&gt;/&lt;name&gt;.csv, in ordinal order.</summary>
    public static IReadOnlyList<string> SeriesIn(string data) =>
        Directory.EnumerateDirectories(data)
            .SelectMany(category => Directory.EnumerateFiles(category, "*.csv").Select(file => $"{Path.GetFileName(category)}/{Path.GetFileName(file)}"))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static Outcome Run(string data, string output, TimeSeriesDetectorOptions options, int parallel, Action<string>? progress = null)
    {
        var series = SeriesIn(data);
        if (series.Count == 0) throw new FileNotFoundException($"{data}: no <category>/<name>.csv files.");
        var watch = Stopwatch.StartNew();
        // One libtorch thread per series and series side by side: at this model size threads within one training cost more than they bring.
        var threads = VaeRuntime.CpuThreads;
        VaeRuntime.SetCpuThreads(1);
        var results = new NabResultSeries[series.Count];
        var written = new string[series.Count];
        long scored = 0;
        try
        {
            Parallel.For(0, series.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, i =>
            {
                var relative = series[i];
                var file = Path.Combine(data, relative.Replace('/', Path.DirectorySeparatorChar));
                var table = TimeSeriesTable.Read(file, "timestamp", ["value"]);
                var training = NabScorer.GetProbationaryLength(table.Count);
                var scores = TimeSeriesDetector.Run(table, training, options);
                results[i] = new NabResultSeries(table.Timestamps, table.Rows.Select(r => r[0]).ToArray(), scores.Select(s => s.Score).ToArray());
                written[i] = Path.Combine(output, relative.Replace('/', Path.DirectorySeparatorChar));
                NabResults.Write(written[i], results[i]);
                Interlocked.Add(ref scored, table.Count - training);
                progress?.Invoke(relative);
            });
        }
        finally
        {
            VaeRuntime.SetCpuThreads(threads);
        }
        var byPath = new Dictionary<string, NabResultSeries>(StringComparer.Ordinal);
        for (var i = 0; i < series.Count; i++) byPath.Add(series[i], results[i]);
        return new Outcome(byPath, written, watch.Elapsed.TotalSeconds, scored);
    }

    public sealed record CategoryScore(string Category, int Files, int Windows, double RawScore, double? NormalizedScore, int FalsePositives);

    public sealed record FileScore(string File, double Score, int Windows, int DetectedWindows, int FalsePositives);

    public sealed record ProfileScore(string Profile, double NormalizedScore, double RawScore, double Threshold, int TruePositives, int FalsePositives, int FalseNegatives,
        IReadOnlyList<CategoryScore> Categories, IReadOnlyList<FileScore> Files);

    private static bool DetectedIn(NabSeries series, NabResultSeries result, NabWindow window, double threshold)
    {
        var probation = series.ProbationaryLength;
        for (var i = probation; i < series.Count; i++)
        {
            if (series.Timestamps[i] >= window.Start && series.Timestamps[i] <= window.End && result.AnomalyScores[i] >= threshold) return true;
        }
        return false;
    }

    /// <summary>NAB's score under each profile, and per category at the corpus-wide threshold.</summary>
    public static IReadOnlyList<ProfileScore> Score(NabCorpus corpus, IReadOnlyDictionary<string, NabResultSeries> results)
    {
        var profiles = new List<ProfileScore>();
        foreach (var profile in NabProfile.All)
        {
            var report = NabScorer.Score(corpus, results, profile);
            var categories = new List<CategoryScore>();
            foreach (var group in corpus.Series.GroupBy(s => s.RelativePath.Split('/')[0]).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var sub = new NabCorpus(group);
                var part = NabScorer.Score(sub, results, profile, report.Threshold);
                double? normalized = sub.WindowCount > 0 ? part.NormalizedScore : null;
                categories.Add(new CategoryScore(group.Key, sub.Series.Count, sub.WindowCount, part.RawScore, normalized, part.FalsePositives));
            }
            var files = corpus.Series.Zip(report.Files, (series, file) => new FileScore(series.RelativePath, file.Score, series.Windows.Count,
                series.Windows.Count(w => DetectedIn(series, results[series.RelativePath], w, report.Threshold)), file.FalsePositives)).ToArray();
            profiles.Add(new ProfileScore(profile.Name, report.NormalizedScore, report.RawScore, report.Threshold, report.TruePositives, report.FalsePositives,
                report.FalseNegatives, categories, files));
        }
        return profiles;
    }
}
