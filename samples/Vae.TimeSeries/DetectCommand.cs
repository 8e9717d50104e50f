using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console.Cli;
using Vae.Core.TimeSeries;
using Vae.Samples;

namespace Vae.TimeSeries;

/// <summary>Trains on the start of one series, scores the rest point by point, and writes the scores and a picture.</summary>
internal sealed class DetectCommand : Command<DetectSettings>
{
    public const string ScoresFile = "scores.csv";
    public const string PictureFile = "scores.png";
    public const string DetectorFile = "detector.vae";

    public override int Execute(CommandContext context, DetectSettings settings, CancellationToken cancellationToken)
    {
        var csv = settings.Csv ?? Path.Combine(AppContext.BaseDirectory, "data", "nab", DetectSettings.DefaultSeries.Replace('/', Path.DirectorySeparatorChar));
        var valueColumns = settings.Values?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var table = TimeSeriesTable.Read(csv, settings.Time, valueColumns);
        var training = settings.TrainRows ?? NabScorer.GetProbationaryLength(table.Count);
        if (training >= table.Count) throw new ArgumentException($"--train-rows {training} leaves none of the {table.Count} rows of {csv} to score.");
        var options = settings.DetectorOptions(settings.Sequential ? TimeSeriesTimestamps.Sequential : TimeSeriesTimestamps.Regular);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var detector = TimeSeriesDetector.Run(table.Timestamps, table.Rows, training, options, out var scores, csv);
        var seconds = watch.Elapsed.TotalSeconds;

        Directory.CreateDirectory(settings.Output);
        WriteScores(Path.Combine(settings.Output, ScoresFile), table, scores);
        var windows = LabelledWindows(csv);
        ScorePlot.Save(Path.Combine(settings.Output, PictureFile), table, scores, detector.Threshold, windows, Path.GetFileName(csv));
        detector.Save(Path.Combine(settings.Output, DetectorFile));

        var detections = scores.Count(s => s.IsAnomaly);
        var figures = new
        {
            csv = Path.GetFullPath(csv),
            rows = table.Count,
            columns = table.ColumnNames,
            trainingRows = training,
            missingRows = scores.Count(s => s.IsMissing),
            detections,
            threshold = detector.Threshold,
            labelledWindows = windows.Count,
            seconds = Math.Round(seconds, 3),
            output = Path.GetFullPath(settings.Output),
        };
        if (settings.Json)
        {
            Console.WriteLine(JsonLine.Serialize(figures));
            return 0;
        }
        Console.WriteLine($"{csv}: {table.Count} rows x {table.ColumnNames.Count} columns, trained on the first {training} ({seconds:F1} s with scoring)");
        Console.WriteLine($"{detections} rows at or above the threshold {detector.Threshold}; {windows.Count} labelled windows");
        Console.WriteLine($"wrote {ScoresFile}, {PictureFile} and {DetectorFile} to {Path.GetFullPath(settings.Output)}");
        return 0;
    }

    private static void WriteScores(string path, TimeSeriesTable table, IReadOnlyList<TimeSeriesScore> scores)
    {
        var text = new StringBuilder();
        text.Append("timestamp,").Append(string.Join(',', table.ColumnNames)).Append(",raw_score,anomaly_score,anomaly,missing,training\n");
        for (var i = 0; i < table.Count; i++)
        {
            var s = scores[i];
            text.Append(table.Timestamps[i].ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            foreach (var v in table.Rows[i]) text.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
            text.Append(',').Append(s.RawScore.ToString("R", CultureInfo.InvariantCulture))
                .Append(',').Append(s.Score.ToString("R", CultureInfo.InvariantCulture))
                .Append(',').Append(s.IsAnomaly ? 1 : 0).Append(',').Append(s.IsMissing ? 1 : 0).Append(',').Append(s.IsTraining ? 1 : 0).Append('\n');
        }
        Vae.Core.AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The NAB windows of a file inside a NAB data folder (DIR/&lt;category&gt;/&lt;name&gt;.csv beside DIR/labels), else none.</summary>
    public static IReadOnlyList<(DateTime Start, DateTime End)> LabelledWindows(string csv)
    {
        var full = Path.GetFullPath(csv);
        var category = Path.GetDirectoryName(full);
        var root = category is null ? null : Path.GetDirectoryName(category);
        if (root is null) return [];
        var labels = Path.Combine(root, "labels", "combined_windows.json");
        if (!File.Exists(labels)) return [];
        var all = JsonSerializer.Deserialize<Dictionary<string, string[][]>>(File.ReadAllText(labels)) ?? [];
        var key = $"{Path.GetFileName(category)}/{Path.GetFileName(full)}";
        return all.TryGetValue(key, out var windows)
            ? windows.Select(w => (DateTime.Parse(w[0], CultureInfo.InvariantCulture), DateTime.Parse(w[1], CultureInfo.InvariantCulture))).ToArray()
            : [];
    }
}
