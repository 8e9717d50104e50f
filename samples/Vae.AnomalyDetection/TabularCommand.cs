using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples;
using Vae.Samples.Rendering;

namespace Vae.AnomalyDetection;

/// <summary>Trains a VAE on the normal rows of a table and measures how well its score finds the other rows.</summary>
internal sealed class TabularCommand : AsyncCommand<TabularSettings>
{
    /// <summary>The breast-cancer table copied beside the program at build time.</summary>
    public static string ShippedTable => Path.Combine(AppContext.BaseDirectory, "data", "breast-cancer", "breast_cancer.csv");

    /// <summary>The scikit-learn figures measured on the shipped table's splits, copied beside the program.</summary>
    public static string ReferenceFigures => Path.Combine(AppContext.BaseDirectory, "reference", "sklearn_baselines.json");

    /// <summary>The files a run writes into --output.</summary>
    internal static IReadOnlyList<string> OwnFiles { get; } = ["split.csv", "model.vae", "scores.png", "test-scores.csv"];

    public override Task<int> ExecuteAsync(CommandContext context, TabularSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var outputLock = OutputFolderLock.Acquire(settings.Output, OwnFiles);
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);

        var trainPath = settings.Train ?? settings.Csv ?? ShippedTable;
        var testPath = settings.Test ?? trainPath;
        // Before anything is written: a table read from --output would be replaced by what the run writes there.
        foreach (var own in OwnFiles)
            OutputPaths.Refuse("--output", Path.Combine(settings.Output, own), ("--csv", settings.Csv), ("--train", settings.Train), ("--test", settings.Test));
        var normal = settings.NormalLabel;
        TabularRowFilter trainRows, testRows;
        TabularSplit? split = null;
        var labels = TabularDataset.ReadColumn(trainPath, settings.Label);
        var normalRows = labels.Count(l => l == normal);
        var otherLabels = labels.Where(l => l != normal).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (!settings.Json)
            Console.WriteLine(
                $"Normal rows: {normalRows:N0} of {labels.Count:N0} rows of {trainPath} have {settings.Label} = '{normal}'; the other {labels.Count - normalRows:N0} " +
                $"(labels {string.Join(", ", otherLabels.Take(5).Select(l => $"'{l}'"))}{(otherLabels.Length > 5 ? ", ..." : "")}) are taken as anomalies.");
        if (settings.Test is null)
        {
            split = TabularSplit.Make(labels, normal, settings.Seed, trainPath);
            split.Write(Path.Combine(settings.Output, "split.csv"));
            trainRows = (row, _) => split.IsTraining(row);
            testRows = (row, _) => !split.IsTraining(row);
        }
        else
        {
            trainRows = (_, label) => label == normal;
            testRows = (_, _) => true;
        }

        var options = new TabularOptions
        {
            LabelColumn = settings.Label,
            IgnoreColumns = settings.IgnoredColumns,
            CategoricalColumns = settings.CategoricalColumns,
            MissingValues = settings.MissingValues,
            MaxCategories = settings.MaxCategories,
            RowFilter = trainRows,
        };
        var preprocessor = TabularPreprocessor.Fit(trainPath, options);
        using var train = TabularDataset.Load(trainPath, preprocessor, trainRows);
        using var test = TabularDataset.Load(testPath, preprocessor, testRows);
        if (test.Labels.Any(l => l is null)) throw new InvalidOperationException($"{testPath}: the label column '{settings.Label}' is needed to measure the detector.");
        var isAnomaly = test.Labels.Select(l => l != normal).ToArray();
        if (!isAnomaly.Any(a => a) || isAnomaly.All(a => a))
            throw new InvalidOperationException(
                $"{testPath}: the test rows must hold both normal rows (label '{normal}') and anomalies, but they hold {isAnomaly.Count(a => !a)} normal and {isAnomaly.Count(a => a)} other rows.");

        var modelOptions = settings.ModelOptions(preprocessor.FeatureCount);
        var trainerOptions = new VaeTrainerOptions { Epochs = settings.Epochs, BatchSize = settings.BatchSize, Seed = settings.Seed };
        if (!settings.Json)
            AnsiConsole.MarkupLine($"[bold]VAE {Markup.Escape(modelOptions.ToString())}[/], {settings.Epochs} epochs on {train.Count:N0} normal rows ('{Markup.Escape(normal)}') of " +
                                   $"[grey]{Markup.Escape(trainPath)}[/]; scoring {test.Count:N0} rows of [grey]{Markup.Escape(testPath)}[/], {torch.get_num_threads()} CPU thread(s)");

        var trainingClock = Stopwatch.StartNew();
        using var detector = TabularAnomalyModel.Train(train, modelOptions, trainerOptions, null, cancellationToken);
        var trainingRowsPerSecond = (double)train.Count * settings.Epochs / trainingClock.Elapsed.TotalSeconds;
        detector.ScoreKind = settings.ScoreKind;
        detector.ImportanceSamples = settings.ImportanceSamples;
        detector.Threshold = detector.ThresholdAtPercentile(train, settings.Percentile);

        var scoringClock = Stopwatch.StartNew();
        var scores = detector.Score(test);
        var rowsPerSecond = test.Count / Math.Max(scoringClock.Elapsed.TotalSeconds, 1e-9);
        var auroc = AnomalyMetrics.RocAuc(scores, isAnomaly);
        var averagePrecision = AnomalyMetrics.AveragePrecision(scores, isAnomaly);
        var flagged = scores.Count(s => s > detector.Threshold);
        var detected = scores.Where((s, i) => isAnomaly[i] && s > detector.Threshold).Count();
        var falsePositives = scores.Where((s, i) => !isAnomaly[i] && s > detector.Threshold).Count();

        var modelPath = Path.Combine(settings.Output, "model.vae");
        detector.Save(modelPath);
        var picture = Path.Combine(settings.Output, "scores.png");
        ScoreHistogram.Save(picture, scores.Where((_, i) => !isAnomaly[i]).ToArray(), scores.Where((_, i) => isAnomaly[i]).ToArray(), detector.Threshold,
            FormattableString.Invariant($"Test rows of {Path.GetFileName(testPath)}: AUROC {auroc:F3}, threshold {detector.Threshold:F1}"));
        var scoresPath = Path.Combine(settings.Output, "test-scores.csv");
        WriteScores(scoresPath, test, scores, detector.Threshold);

        var reference = settings.UsesShippedTable ? ReferenceFor(settings.Seed) : null;
        if (!settings.Json)
        {
            AnsiConsole.Write(ResultTable(auroc, averagePrecision, reference, settings.Seed));
            AnsiConsole.MarkupLine(FormattableString.Invariant(
                $"threshold {detector.Threshold:F2} ({settings.Percentile:0.##}th percentile of the training rows' scores): {flagged} of {test.Count} test rows flagged, {detected} of {isAnomaly.Count(a => a)} anomalies, {falsePositives} of {isAnomaly.Count(a => !a)} normal rows"));
            AnsiConsole.MarkupLine($"Model: [blue]{Markup.Escape(modelPath)}[/]  histogram: [blue]{Markup.Escape(picture)}[/]  scores: [blue]{Markup.Escape(scoresPath)}[/]" +
                                   (split is null ? "" : $"  split: [blue]{Markup.Escape(Path.Combine(settings.Output, "split.csv"))}[/]"));
        }
        else
        {
            Console.WriteLine(JsonLine.Serialize(new
            {
                auroc,
                average_precision = averagePrecision,
                threshold = detector.Threshold,
                flagged,
                rows_per_second = rowsPerSecond,
                training_rows_per_second = trainingRowsPerSecond,
                detected,
                false_positives = falsePositives,
                test_rows = test.Count,
                anomalies = isAnomaly.Count(a => a),
                training_rows = train.Count,
                normal_label = normal,
                normal_rows = normalRows,
                features = preprocessor.FeatureCount,
                architecture = modelOptions.ToString(),
                score = settings.ScoreKind == AnomalyScoreKind.NegativeElboAtMean ? "elbo" : "iwae",
                k = settings.ScoreKind == AnomalyScoreKind.NegativeImportanceWeighted ? settings.ImportanceSamples : (int?)null,
                epochs = settings.Epochs,
                seed = settings.Seed,
                percentile = settings.Percentile,
                model = modelPath,
                picture,
                scores = scoresPath,
                split = split is null ? null : Path.Combine(settings.Output, "split.csv"),
                sklearn = reference,
                seconds = clock.Elapsed.TotalSeconds,
            }));
        }
        return Task.FromResult(0);
    }

    /// <summary>The test rows with their score and flag, in file order.</summary>
    internal static void WriteScores(string path, TabularDataset data, double[] scores, double threshold) => AtomicFile.Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        writer.WriteLine("row,line,label,score,anomalous");
        for (var i = 0; i < data.Count; i++)
            writer.WriteLine(ScoreLine(data.RowIndices[i], data.Lines[i], data.Labels[i], scores[i], scores[i] > threshold));
    });

    /// <summary>One line of a scores CSV: row, line, label, score (round-trip), anomalous.</summary>
    internal static string ScoreLine(long row, long line, string? label, double score, bool anomalous) =>
        string.Join(',', row.ToString(CultureInfo.InvariantCulture), line.ToString(CultureInfo.InvariantCulture), CsvField(label ?? ""),
            score.ToString("R", CultureInfo.InvariantCulture), anomalous ? "true" : "false");

    internal static string CsvField(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    /// <summary>The scikit-learn AUROCs recorded for this seed's split of the shipped table, or null if none were.</summary>
    private static Dictionary<string, ReferenceFigure>? ReferenceFor(int seed)
    {
        if (!File.Exists(ReferenceFigures)) return null;
        using var document = JsonDocument.Parse(File.ReadAllText(ReferenceFigures));
        if (!document.RootElement.TryGetProperty("seeds", out var seeds) || !seeds.TryGetProperty(seed.ToString(CultureInfo.InvariantCulture), out var figures)) return null;
        return figures.EnumerateObject().ToDictionary(p => p.Name,
            p => new ReferenceFigure(p.Value.GetProperty("auroc").GetDouble(), p.Value.GetProperty("average_precision").GetDouble()));
    }

    /// <summary>One scikit-learn method's figures on a split, as recorded.</summary>
    private sealed record ReferenceFigure(double auroc, double average_precision);

    private static Table ResultTable(double auroc, double averagePrecision, Dictionary<string, ReferenceFigure>? reference, int seed)
    {
        var table = new Table().RoundedBorder().AddColumns("method", "AUROC", "average\nprecision");
        table.Columns[1].RightAligned();
        table.Columns[2].RightAligned();
        table.AddRow("[bold]VAE (this run)[/]", $"[bold]{auroc:F3}[/]", $"{averagePrecision:F3}");
        if (reference is not null)
        {
            foreach (var (method, figure) in reference.OrderByDescending(p => p.Value.auroc))
                table.AddRow(Markup.Escape(method), figure.auroc.ToString("F3", CultureInfo.InvariantCulture), figure.average_precision.ToString("F3", CultureInfo.InvariantCulture));
            table.Caption($"scikit-learn rows: recorded by reference/sklearn_baselines.py on the same split (seed {seed})");
        }
        return table;
    }
}
