using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples;

namespace Vae.AnomalyDetection;

/// <summary>Leaves digits out of training in turn and measures how well a VAE's score finds them in the test set.</summary>
internal sealed class AnomalyCommand : AsyncCommand<AnomalySettings>
{
    /// <summary>The 10,000 digits copied beside the program at build time.</summary>
    public static string ShippedFolder => Path.Combine(AppContext.BaseDirectory, "data", "mnist-10k");

    public override Task<int> ExecuteAsync(CommandContext context, AnomalySettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        // Two experiments drawing into one folder would overwrite each other's pictures: the second stops at once.
        using var outputLock = OutputFolderLock.Acquire(settings.Output, Enumerable.Range(0, 10).Select(digit => $"holdout-{digit}.png"));
        var folder = settings.Data ?? ShippedFolder;
        if (settings.Data is not null && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"--data: folder '{folder}' does not exist (it should hold the four MNIST files, e.g. train-images-idx3-ubyte.gz).");
        using var train = MnistDataset.Load(folder, MnistSplit.Train);
        using var test = MnistDataset.Load(folder, MnistSplit.Test);
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);

        var scoreName = HoldOutExperiment.ScoreName(settings);
        if (!settings.Json)
            AnsiConsole.MarkupLine($"[bold]VAE {settings.ModelOptions}[/], {settings.Epochs} epochs on {train.Count:N0} training digits minus the held-out one; " +
                                   $"scoring {test.Count:N0} test digits from [grey]{Markup.Escape(folder)}[/] by the {Markup.Escape(scoreName)}, {torch.get_num_threads()} CPU thread(s)");

        // Ctrl-C or SIGTERM cancels the token between two batches; the console reports it.
        IReadOnlyList<HoldOutResult> results = settings.Json || Console.IsOutputRedirected
            ? RunQuietly(settings, train, test, cancellationToken)
            : RunWithProgressBars(settings, train, test, cancellationToken);

        var meanAuroc = results.Average(r => r.Auroc);
        if (!settings.Json)
        {
            AnsiConsole.Write(ResultTable(results, settings));
            if (results.Count > 1) AnsiConsole.MarkupLine($"Mean AUROC [bold]{meanAuroc:F3}[/] over {results.Count} held-out digits.");
            AnsiConsole.MarkupLine("[grey]detected: the held-out digit's test digits above the threshold; false pos.: the other half of the normal test digits above it.[/]");
            foreach (var result in results) AnsiConsole.MarkupLine($"Picture: [blue]{Markup.Escape(result.Picture)}[/]");
        }
        else
        {
            Console.WriteLine(JsonLine.Serialize(new
            {
                auroc = results.ToDictionary(r => r.Digit.ToString(CultureInfo.InvariantCulture), r => r.Auroc),
                mean_auroc = meanAuroc,
                score = settings.ScoreKind == AnomalyScoreKind.NegativeElboAtMean ? "elbo" : "iwae",
                k = settings.ScoreKind == AnomalyScoreKind.NegativeImportanceWeighted ? settings.ImportanceSamples : (int?)null,
                epochs = settings.Epochs,
                architecture = settings.ModelOptions.ToString(),
                seed = settings.Seed,
                percentile = settings.Percentile,
                threshold_fitted_on = "every other normal (held-in) test digit; the false-positive rate is measured on the rest",
                holdouts = results.Select(r => new
                {
                    digit = r.Digit,
                    auroc = r.Auroc,
                    test_loss_normal = r.NormalTestLoss,
                    test_loss_held_out = r.HeldOutTestLoss,
                    threshold = r.Threshold,
                    detection_rate = r.DetectionRate,
                    false_positive_rate = r.FalsePositiveRate,
                    anomalies = r.Anomalies,
                    validation_digits = r.ValidationDigits,
                    check_digits = r.CheckDigits,
                    seconds = r.Seconds,
                    picture = r.Picture,
                }),
                threads = torch.get_num_threads(),
                seconds = clock.Elapsed.TotalSeconds,
            }));
        }
        return Task.FromResult(0);
    }

    private static List<HoldOutResult> RunQuietly(AnomalySettings settings, MnistDataset train, MnistDataset test, CancellationToken cancellationToken)
    {
        var results = new List<HoldOutResult>();
        foreach (var digit in settings.Digits)
        {
            var result = HoldOutExperiment.Run(settings, train, test, digit, null, cancellationToken);
            // Redirected output still gets a line per digit: ten runs take minutes.
            if (!settings.Json)
                Console.WriteLine(FormattableString.Invariant($"held out {digit}: AUROC {result.Auroc:F3} ({result.Seconds:F1} s)"));
            results.Add(result);
        }
        return results;
    }

    private static List<HoldOutResult> RunWithProgressBars(AnomalySettings settings, MnistDataset train, MnistDataset test, CancellationToken cancellationToken) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var results = new List<HoldOutResult>();
                foreach (var digit in settings.Digits)
                {
                    var task = context.AddTask($"held out {digit}  training", maxValue: 1);
                    var progress = new SynchronousProgress<TrainingProgress>(p =>
                    {
                        task.MaxValue = Math.Max(1, (double)p.Epochs * p.BatchesPerEpoch + 1); // the last step is scoring
                        task.Value = (double)(p.Epoch - 1) * p.BatchesPerEpoch + p.Batch;
                        task.Description = $"held out {digit}  epoch {p.Epoch,3}/{p.Epochs}  loss {p.Loss,7:F2}";
                        if (p.Epoch == p.Epochs && p.CompletedEpoch is not null) task.Description = $"held out {digit}  scoring";
                    });
                    var result = HoldOutExperiment.Run(settings, train, test, digit, progress, cancellationToken);
                    task.Value = task.MaxValue;
                    task.Description = $"held out {digit}  AUROC {result.Auroc:F3}";
                    task.StopTask();
                    results.Add(result);
                }
                return results;
            });

    private static Table ResultTable(IEnumerable<HoldOutResult> results, AnomalySettings settings)
    {
        var table = new Table().RoundedBorder()
            .AddColumns("digit", "AUROC", "test\nloss", "held-out\nloss", "threshold", "detected", "false\npos.", "seconds");
        foreach (var column in table.Columns) column.RightAligned();
        foreach (var r in results)
        {
            table.AddRow(
                r.Digit.ToString(CultureInfo.InvariantCulture), r.Auroc.ToString("F3"), r.NormalTestLoss.ToString("F2"), r.HeldOutTestLoss.ToString("F2"),
                r.Threshold.ToString("F1"), r.DetectionRate.ToString("P1"), r.FalsePositiveRate.ToString("P1"), r.Seconds.ToString("F1"));
        }
        return table.Caption(
            FormattableString.Invariant($"losses: negative ELBO in nats per image; threshold: {settings.Percentile:0.##}th percentile on every other normal test digit"));
    }
}
