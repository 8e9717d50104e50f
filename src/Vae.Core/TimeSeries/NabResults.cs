namespace Vae.Core.TimeSeries;

/// <summary>
/// Reads and writes detector results in numenta/NAB's layout: <c>&lt;detector&gt;/&lt;category&gt;/&lt;detector&gt;_&lt;name&gt;.csv</c>
/// under a results folder, each with the columns <c>timestamp,value,anomaly_score</c> and optionally <c>label</c>
/// (further columns, such as NAB's <c>S(t)_standard</c>, are ignored on reading).
/// </summary>
public static class NabResults
{
    /// <summary>The result file's path for a data file, relative to the results folder.</summary>
    /// <param name="detector">The detector's name, e.g. <c>numenta</c>.</param>
    /// <param name="dataRelativePath">The data file's path relative to the data folder, e.g. <c>realTweets/Twitter_volume_AAPL.csv</c>.</param>
    /// <returns>E.g. <c>numenta/realTweets/numenta_Twitter_volume_AAPL.csv</c>, with <c>/</c> separators.</returns>
    public static string GetResultPath(string detector, string dataRelativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(detector);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataRelativePath);
        var slash = dataRelativePath.LastIndexOf('/');
        var folder = slash < 0 ? string.Empty : dataRelativePath[..(slash + 1)];
        return $"{detector}/{folder}{detector}_{dataRelativePath[(slash + 1)..]}";
    }

    /// <summary>Reads one result file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Its rows.</returns>
    public static NabResultSeries Read(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>Reads one result file's text.</summary>
    /// <param name="reader">The text, from its header line on.</param>
    /// <param name="source">A name for the text in error messages; defaults to <c>result file</c>.</param>
    /// <returns>Its rows.</returns>
    public static NabResultSeries Read(TextReader reader, string source = "result file")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new FormatException($"{source}: empty file.");
        var columns = NabCsv.ColumnIndices(header, source, "timestamp", "value", "anomaly_score");
        var labelColumn = header.Split(',').Select(h => h.Trim()).ToList().IndexOf("label");
        var timestamps = new List<DateTime>();
        var values = new List<double>();
        var scores = new List<double>();
        var labels = labelColumn >= 0 ? new List<int>() : null;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            timestamps.Add(NabCsv.ParseTimestamp(fields[columns[0]], source));
            values.Add(NabCsv.ParseDouble(fields[columns[1]], source));
            scores.Add(NabCsv.ParseDouble(fields[columns[2]], source));
            labels?.Add((int)NabCsv.ParseDouble(fields[labelColumn], source));
        }

        return new NabResultSeries(timestamps, values, scores, labels);
    }

    /// <summary>Writes one result file (creating its folder), with the <c>label</c> column when the series has labels.</summary>
    /// <param name="path">The file.</param>
    /// <param name="result">The rows.</param>
    public static void Write(string path, NabResultSeries result)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(result);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using var writer = new StreamWriter(path);
        writer.NewLine = "\n";
        writer.WriteLine(result.Labels is null ? "timestamp,value,anomaly_score" : "timestamp,value,anomaly_score,label");
        for (var i = 0; i < result.Count; i++)
        {
            writer.Write(NabCsv.FormatTimestamp(result.Timestamps[i]));
            writer.Write(',');
            writer.Write(NabCsv.FormatDouble(result.Values[i]));
            writer.Write(',');
            writer.Write(NabCsv.FormatDouble(result.AnomalyScores[i]));
            if (result.Labels is not null)
            {
                writer.Write(',');
                writer.Write(result.Labels[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            writer.WriteLine();
        }
    }

    /// <summary>Reads a detector's result files for every series of a corpus.</summary>
    /// <param name="resultsFolder">The results folder that holds the <paramref name="detector"/> folder.</param>
    /// <param name="detector">The detector's name.</param>
    /// <param name="corpus">The corpus whose series to read results for; each must have a result file.</param>
    /// <returns>The results keyed by the data file's relative path.</returns>
    public static IReadOnlyDictionary<string, NabResultSeries> ReadDetector(string resultsFolder, string detector, NabCorpus corpus)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resultsFolder);
        ArgumentNullException.ThrowIfNull(corpus);
        var results = new Dictionary<string, NabResultSeries>(StringComparer.Ordinal);
        foreach (var series in corpus.Series)
        {
            var file = Path.Combine(resultsFolder, GetResultPath(detector, series.RelativePath).Replace('/', Path.DirectorySeparatorChar));
            results.Add(series.RelativePath, Read(file));
        }

        return results;
    }

    /// <summary>Writes a detector's result files under a results folder, in NAB's layout.</summary>
    /// <param name="resultsFolder">The results folder; the <paramref name="detector"/> folder is created in it.</param>
    /// <param name="detector">The detector's name.</param>
    /// <param name="results">The results keyed by the data file's relative path.</param>
    public static void WriteDetector(string resultsFolder, string detector, IReadOnlyDictionary<string, NabResultSeries> results)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resultsFolder);
        ArgumentNullException.ThrowIfNull(results);
        foreach (var (relativePath, result) in results)
        {
            Write(Path.Combine(resultsFolder, GetResultPath(detector, relativePath).Replace('/', Path.DirectorySeparatorChar)), result);
        }
    }
}
