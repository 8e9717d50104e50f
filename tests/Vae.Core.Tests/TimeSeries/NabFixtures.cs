using System.IO.Compression;
using System.Text.Json;
using Vae.Core.TimeSeries;

namespace Vae.Core.Tests.TimeSeries;

/// <summary>
/// samples/data/nab and the fixtures tests/fixtures/nab/extract_nab_fixtures.py took from numenta/NAB's results/
/// (zipped result files of five detectors, NAB's per-file score tables), with the figures
/// tests/fixtures/nab/nab_reference_scores.py got from NAB's own sweeper on them (nab_reference_scores.json).
/// </summary>
internal static class NabFixtures
{
    public static readonly string[] Detectors = ["numenta", "windowedGaussian", "random", "null", "ARTime"];

    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "tests", "fixtures", "nab"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No tests/fixtures/nab in {AppContext.BaseDirectory} or any folder above it.");
    });

    private static readonly Lazy<NabCorpus> CorpusValue = new(() => NabCorpus.Load(DataFolder));

    private static readonly Dictionary<string, Lazy<IReadOnlyDictionary<string, NabResultSeries>>> Results =
        Detectors.ToDictionary(d => d, d => new Lazy<IReadOnlyDictionary<string, NabResultSeries>>(() => ReadZip(d)));

    private static readonly Lazy<JsonDocument> Reference = new(() => JsonDocument.Parse(File.ReadAllText(PathOf("nab_reference_scores.json"))));

    public static string DataFolder => Path.Combine(RepoRoot.Value, "samples", "data", "nab");

    public static NabCorpus Corpus => CorpusValue.Value;

    public static string PathOf(string file) => Path.Combine(RepoRoot.Value, "tests", "fixtures", "nab", file);

    public static IReadOnlyDictionary<string, NabResultSeries> ResultsOf(string detector) => Results[detector].Value;

    public static NabProfile Profile(string name) => NabProfile.All.Single(p => p.Name == name);

    /// <summary>NAB's sweeper's figures for a detector and profile: the threshold, raw total, normalised score and per-file scores.</summary>
    public static JsonElement ReferenceOf(string detector, string profile) =>
        Reference.Value.RootElement.GetProperty(detector).GetProperty(profile);

    private static IReadOnlyDictionary<string, NabResultSeries> ReadZip(string detector)
    {
        var results = new Dictionary<string, NabResultSeries>(StringComparer.Ordinal);
        using var zip = ZipFile.OpenRead(PathOf(detector + ".zip"));
        foreach (var series in Corpus.Series)
        {
            var entry = zip.GetEntry(NabResults.GetResultPath(detector, series.RelativePath))
                ?? throw new FileNotFoundException($"{detector}.zip has no result for {series.RelativePath}.");
            using var reader = new StreamReader(entry.Open());
            results.Add(series.RelativePath, NabResults.Read(reader, entry.FullName));
        }
        return results;
    }
}
