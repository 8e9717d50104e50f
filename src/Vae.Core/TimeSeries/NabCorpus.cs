using System.Text.Json;

namespace Vae.Core.TimeSeries;

/// <summary>
/// A NAB data corpus: the series of a data folder laid out as numenta/NAB's <c>data/</c> (<c>&lt;category&gt;/&lt;name&gt;.csv</c>
/// with the header <c>timestamp,value</c>) and their anomaly windows from <c>labels/combined_windows.json</c>.
/// </summary>
public sealed class NabCorpus
{
    private readonly Dictionary<string, NabSeries> byPath;

    /// <summary>Creates a corpus from series already in memory.</summary>
    /// <param name="series">The series; their relative paths must be distinct.</param>
    public NabCorpus(IEnumerable<NabSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        Series = series.ToArray();
        byPath = new Dictionary<string, NabSeries>(StringComparer.Ordinal);
        foreach (var s in Series)
        {
            if (!byPath.TryAdd(s.RelativePath, s))
            {
                throw new ArgumentException($"The series {s.RelativePath} is given twice.", nameof(series));
            }
        }
    }

    /// <summary>The series.</summary>
    /// <value>In the order given (for <see cref="Load"/>, ordinal order of their relative paths).</value>
    public IReadOnlyList<NabSeries> Series { get; }

    /// <summary>The number of anomaly windows over all series, NAB's count of possible true positives.</summary>
    /// <value>The sum of the series' window counts.</value>
    public int WindowCount => Series.Sum(s => s.Windows.Count);

    /// <summary>The series with the given relative path.</summary>
    /// <param name="relativePath">The path relative to the data folder, with <c>/</c> separators.</param>
    /// <exception cref="KeyNotFoundException">No series has that path.</exception>
    public NabSeries this[string relativePath] =>
        byPath.TryGetValue(relativePath, out var s) ? s : throw new KeyNotFoundException($"No series {relativePath} in the corpus.");

    /// <summary>
    /// Loads the series that <c>labels/combined_windows.json</c> in <paramref name="dataFolder"/> names, with their
    /// windows, as NAB's corpus and labeler read them.
    /// </summary>
    /// <param name="dataFolder">The folder holding the category folders and <c>labels/</c> (e.g. samples/data/nab).</param>
    /// <param name="windowsFile">The windows file; defaults to <c>labels/combined_windows.json</c> under <paramref name="dataFolder"/>.</param>
    /// <returns>The corpus.</returns>
    public static NabCorpus Load(string dataFolder, string? windowsFile = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataFolder);
        windowsFile ??= Path.Combine(dataFolder, "labels", "combined_windows.json");
        Dictionary<string, string[][]>? windows;
        using (var stream = File.OpenRead(windowsFile))
        {
            windows = JsonSerializer.Deserialize<Dictionary<string, string[][]>>(stream);
        }

        if (windows is null)
        {
            throw new FormatException($"{windowsFile}: not a JSON object of windows.");
        }

        var series = new List<NabSeries>();
        foreach (var (relativePath, limits) in windows.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            var parsed = limits.Select(l => l.Length == 2
                    ? new NabWindow(NabCsv.ParseTimestamp(l[0], windowsFile), NabCsv.ParseTimestamp(l[1], windowsFile))
                    : throw new FormatException($"{windowsFile}: a window of {relativePath} is not [start, end]."))
                .ToArray();
            series.Add(ReadSeries(dataFolder, relativePath, parsed));
        }

        return new NabCorpus(series);
    }

    private static NabSeries ReadSeries(string dataFolder, string relativePath, IReadOnlyList<NabWindow> windows)
    {
        var file = Path.Combine(dataFolder, relativePath.Replace('/', Path.DirectorySeparatorChar));
        var timestamps = new List<DateTime>();
        var values = new List<double>();
        using var reader = new StreamReader(file);
        var header = reader.ReadLine() ?? throw new FormatException($"{file}: empty file.");
        var columns = NabCsv.ColumnIndices(header, file, "timestamp", "value");
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            timestamps.Add(NabCsv.ParseTimestamp(fields[columns[0]], file));
            values.Add(NabCsv.ParseDouble(fields[columns[1]], file));
        }

        return new NabSeries(relativePath, timestamps, values, windows);
    }
}
