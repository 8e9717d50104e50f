using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Recommendation;
using Vae.Samples;

namespace Vae.Recommendation;

/// <summary>Trains Mult-VAE, compares it with popularity and EASE on the test users, and writes the model, a plot and predictions.</summary>
internal sealed class TrainCommand : Command<TrainSettings>
{
    public const string ModelFileName = "model.multvae";
    public const string PlotFileName = "validation.png";
    public const string CheckpointFileName = "training.checkpoint";

    /// <summary>EASE inverts an items x items float64 matrix; above this many items it is left out unless asked for.</summary>
    private const int EaseItemLimit = 10_000;

    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var outputLock = OutputFolderLock.Acquire(settings.Output, [ModelFileName, PlotFileName, CheckpointFileName]);
        var modelPath = Path.Combine(settings.Output, ModelFileName);
        var plotPath = Path.Combine(settings.Output, PlotFileName);
        var checkpointPath = Path.Combine(settings.Output, CheckpointFileName);
        if (settings.Predictions is { } predictionsPath)
        {
            // The predictions must replace neither the model and the plot nor a file of --data.
            var inputs = new List<(string, string?)> { ("the model", modelPath), ("the plot", plotPath), ("the checkpoint", checkpointPath) };
            if (settings.Data is { } dataFolder && Directory.Exists(dataFolder))
                inputs.AddRange(Directory.EnumerateFiles(dataFolder).Select(file => ("--data", (string?)file)));
            OutputPaths.Refuse("--predictions", predictionsPath, [.. inputs]);
        }
        var resume = EarlierRun.Continues(settings.Output, settings.Resume, settings.Overwrite, checkpointPath, modelPath);
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);

        var (data, source) = Load(settings);
        if (data.Validation.UserCount == 0 || data.Test.UserCount == 0)
            throw new InvalidDataException($"{source} has no validation or no test users; Mult-VAE picks its epoch on the validation users and reports on the test users.");
        if (!settings.Json)
            AnsiConsole.MarkupLine($"[bold]Mult-VAE[/] {data.ItemCount}-{settings.Hidden.Replace(",", "-")}-{settings.Latent} on {Markup.Escape(source)}: " +
                                   $"{data.Train.UserCount:N0} training users ({data.Train.ClickCount:N0} clicks), {data.Validation.UserCount:N0} validation, " +
                                   $"{data.Test.UserCount:N0} test users, {torch.get_num_threads()} CPU thread(s)");

        using var model = new MultVae(data.ItemIds, new MultVaeOptions { HiddenSizes = settings.HiddenSizes, LatentSize = settings.Latent, InputDropout = settings.Dropout }, settings.Seed);
        using var tensorBoard = settings.TensorBoard is { } logs ? new TensorBoardCallback(logs) : null;
        var trainer = new MultVaeTrainer(new MultVaeTrainerOptions
        {
            CheckpointPath = checkpointPath,
            Callbacks = tensorBoard is null ? [] : [tensorBoard],
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            AnnealCap = settings.AnnealCap,
            TotalAnnealSteps = settings.AnnealSteps,
            Patience = settings.Patience,
            Seed = settings.Seed,
        });
        MultVaeTrainingResult result;
        try
        {
            result = settings.Json || Console.IsOutputRedirected
                ? Train(trainer, model, data, resume ? checkpointPath : null, null, cancellationToken)
                : TrainWithProgressBar(trainer, model, data, resume ? checkpointPath : null, settings.Epochs, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The trainer wrote the checkpoint of the batch it stopped after.
            throw new RunInterruptedException(
                $"during training; no model was saved, but the checkpoint is: continue with --resume --output {settings.Output}", cancellationToken);
        }
        model.Save(modelPath);
        ValidationPlot.Save(plotPath, result.Epochs);

        var recommendClock = Stopwatch.StartNew();
        var test = RecommendationEvaluator.Evaluate(model, data.Test);
        var recommendSeconds = recommendClock.Elapsed.TotalSeconds;
        var popularity = RecommendationEvaluator.Evaluate(new PopularityRecommender(data.Train), data.Test);
        RankingReport? ease = null;
        if (!settings.NoEase && data.ItemCount <= EaseItemLimit)
        {
            using var easeModel = EaseRecommender.Fit(data.Train);
            ease = RecommendationEvaluator.Evaluate(easeModel, data.Test);
        }
        if (settings.Predictions is { } predictions)
            WritePredictions(model, data.Test, predictions);

        if (!settings.Json)
        {
            AnsiConsole.Write(MetricsTable(test, popularity, ease, data.ItemCount));
            AnsiConsole.MarkupLine($"Best epoch [bold]{result.BestEpoch}[/] of {result.Epochs.Count} (validation NDCG@100 {result.BestValidationNdcg:F4}); " +
                                   $"{result.TrainingUsersPerSecond:N0} training users/s, {data.Test.UserCount / recommendSeconds:N0} test users scored/s.");
            AnsiConsole.MarkupLine($"Model: [blue]{Markup.Escape(modelPath)}[/]");
            AnsiConsole.MarkupLine($"Plot: [blue]{Markup.Escape(plotPath)}[/]");
            if (settings.Predictions is not null) AnsiConsole.MarkupLine($"Predictions: [blue]{Markup.Escape(settings.Predictions)}[/]");
        }
        else
        {
            Console.WriteLine(JsonLine.Serialize(new
            {
                test_ndcg_at_100 = test.MeanNdcg(100),
                test_recall_at_20 = test.MeanRecall(20),
                test_recall_at_50 = test.MeanRecall(50),
                popularity_ndcg_at_100 = popularity.MeanNdcg(100),
                ease_ndcg_at_100 = ease?.MeanNdcg(100),
                validation_ndcg_at_100 = result.BestValidationNdcg,
                best_epoch = result.BestEpoch,
                epochs = result.Epochs.Count,
                users_per_second = result.TrainingUsersPerSecond,
                seconds = clock.Elapsed.TotalSeconds,
                peak_working_set_mib = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
                items = data.ItemCount,
                threads = torch.get_num_threads(),
                model = modelPath,
            }));
        }
        return 0;
    }

    private static MultVaeTrainingResult Train(
        MultVaeTrainer trainer, MultVae model, ImplicitFeedbackData data, string? resumeFrom, IProgress<MultVaeEpoch>? progress, CancellationToken cancellationToken) =>
        resumeFrom is null
            ? trainer.Train(model, data, progress, cancellationToken)
            : trainer.Resume(model, data, resumeFrom, progress, cancellationToken);

    private static (ImplicitFeedbackData Data, string Source) Load(TrainSettings settings)
    {
        if (settings.Data is { } folder)
            return (ImplicitFeedbackFolder.Read(folder), Path.GetFullPath(folder));
        var options = new SyntheticClickOptions
        {
            UserCount = settings.Users, ItemCount = settings.Items, TopicCount = Math.Max(5, Math.Min(settings.Items / 40, settings.Items / 8)), Seed = settings.Seed,
        };
        return (SyntheticClicks.Generate(options).Split(), $"synthetic clicks ({options.UserCount:N0} users, {options.ItemCount:N0} items, {options.TopicCount} topics)");
    }

    private static MultVaeTrainingResult TrainWithProgressBar(
        MultVaeTrainer trainer, MultVae model, ImplicitFeedbackData data, string? resumeFrom, int epochs, CancellationToken cancellationToken) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"epoch   0/{epochs}", maxValue: epochs);
                var best = double.NaN;
                var progress = new SynchronousProgress<MultVaeEpoch>(e =>
                {
                    if (e.IsBest) best = e.ValidationNdcg ?? double.NaN;
                    task.Value = e.Epoch;
                    task.Description = string.Create(CultureInfo.InvariantCulture,
                        $"epoch {e.Epoch,3}/{epochs}  loss {e.Loss,8:F2}  validation NDCG@100 {e.ValidationNdcg,6:F4} (best {best:F4})  {e.UsersPerSecond,7:N0} users/s");
                });
                var result = Train(trainer, model, data, resumeFrom, progress, cancellationToken);
                task.StopTask();
                return result;
            });

    private static Table MetricsTable(RankingReport vae, RankingReport popularity, RankingReport? ease, int items)
    {
        var table = new Table().RoundedBorder().AddColumns("test users", "NDCG@100", "Recall@20", "Recall@50");
        foreach (var column in table.Columns.Skip(1)) column.RightAligned();
        void Row(string name, RankingReport report) => table.AddRow(name,
            report.MeanNdcg(100).ToString("F4", CultureInfo.InvariantCulture),
            report.MeanRecall(20).ToString("F4", CultureInfo.InvariantCulture),
            report.MeanRecall(50).ToString("F4", CultureInfo.InvariantCulture));
        Row("Mult-VAE", vae);
        Row("popularity", popularity);
        if (ease is not null) Row("EASE (λ = 500)", ease);
        return table.Caption(ease is null && items > EaseItemLimit ? $"EASE left out above {EaseItemLimit:N0} items" : $"{vae.Users.Count:N0} users with held-out clicks");
    }

    /// <summary>The top 100 unseen items of every test user with fold-in clicks, as uid,rank,sid with the input files' ids.</summary>
    internal static void WritePredictions(MultVae model, HeldOutUsers test, string path)
    {
        var lists = model.Recommend(test.FoldIn, 100);
        var text = new StringBuilder("uid,rank,sid\n");
        foreach (var list in lists)
        {
            if (test.FoldIn.CountOf(list.User) == 0) continue;
            var uid = test.UserIdOf(list.User);
            for (var rank = 0; rank < list.Items.Count; rank++)
                text.Append(CultureInfo.InvariantCulture, $"{uid},{rank + 1},{list.Items[rank]}\n");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        AtomicFile.Write(path, stream =>
        {
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            stream.Write(bytes);
        });
    }
}
