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

/// <summary>Trains Mult-VAE or RecVAE (or fits EASE or popularity), compares it with popularity and EASE on the test users, and writes the model, a plot and predictions.</summary>
internal sealed class TrainCommand : Command<TrainSettings>
{
    public const string ModelFileName = "model.multvae";
    public const string RecVaeModelFileName = "model.recvae";
    public const string PlotFileName = "validation.png";
    public const string CheckpointFileName = "training.checkpoint";

    /// <summary>EASE inverts an items x items float64 matrix; above this many items it is left out unless asked for.</summary>
    private const int EaseItemLimit = 10_000;

    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var outputLock = OutputFolderLock.Acquire(settings.Output, [ModelFileName, RecVaeModelFileName, PlotFileName, CheckpointFileName]);
        var modelPath = Path.Combine(settings.Output, settings.Model == "recvae" ? RecVaeModelFileName : ModelFileName);
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
        var resume = settings.Model is "multvae" or "recvae" && EarlierRun.Continues(settings.Output, settings.Resume, settings.Overwrite, checkpointPath, modelPath);
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);

        var (data, source) = Load(settings);
        if (data.Validation.UserCount == 0 || data.Test.UserCount == 0)
            throw new InvalidDataException($"{source} has no validation or no test users; a VAE picks its epoch on the validation users and reports on the test users.");
        if (!settings.Json)
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(DisplayName(settings.Model))}[/]{(settings.Model is "multvae" or "recvae" ? $" {data.ItemCount}-{settings.Hidden.Replace(",", "-")}-{settings.Latent}" : "")} on {Markup.Escape(source)}: " +
                                   $"{data.Train.UserCount:N0} training users ({data.Train.ClickCount:N0} clicks), {data.Validation.UserCount:N0} validation, " +
                                   $"{data.Test.UserCount:N0} test users, {torch.get_num_threads()} CPU thread(s)");

        // The chosen recommender: trained (and saved, with its validation plot) when it is a VAE.
        MultVaeTrainingResult? result = null;
        IRecommender chosen;
        using var owned = new DisposableList();
        using var tensorBoard = settings.TensorBoard is { } logs ? new TensorBoardCallback(logs) : null;
        IReadOnlyList<ITrainingCallback> callbacks = tensorBoard is null ? [] : [tensorBoard];
        try
        {
            switch (settings.Model)
            {
                case "recvae":
                {
                    var recVae = owned.Add(new RecVae(data.ItemIds,
                        new RecVaeOptions { HiddenSize = settings.HiddenSizes[0], LatentSize = settings.Latent, InputDropout = settings.Dropout }, settings.Seed));
                    var trainer = new RecVaeTrainer(new RecVaeTrainerOptions
                    {
                        CheckpointPath = checkpointPath, Callbacks = callbacks, Epochs = settings.Epochs, BatchSize = settings.BatchSize,
                        LearningRate = settings.LearningRate, Gamma = settings.Gamma, Patience = settings.Patience, Seed = settings.Seed,
                        LearningRateSchedule = settings.LearningRateSchedule == "cosine" ? new CosineAnnealingSchedule() : null,
                        WeightDecay = settings.WeightDecay, EncoderPasses = settings.EncoderPasses, DecoderPasses = settings.DecoderPasses,
                        PredictDroppedClicks = settings.EncoderTarget == "dropped", WeightAverageDecay = settings.WeightAverage,
                    });
                    result = TrainAndSave(trainer, recVae, data, settings, resume ? checkpointPath : null, modelPath, cancellationToken);
                    chosen = recVae;
                    break;
                }
                case "multvae":
                {
                    var multVae = owned.Add(new MultVae(data.ItemIds, new MultVaeOptions { HiddenSizes = settings.HiddenSizes, LatentSize = settings.Latent, InputDropout = settings.Dropout }, settings.Seed));
                    var trainer = new MultVaeTrainer(new MultVaeTrainerOptions
                    {
                        CheckpointPath = checkpointPath,
                        Callbacks = callbacks,
                        Epochs = settings.Epochs,
                        BatchSize = settings.BatchSize,
                        LearningRate = settings.LearningRate,
                        AnnealCap = settings.AnnealCap,
                        TotalAnnealSteps = settings.AnnealSteps,
                        Patience = settings.Patience,
                        Seed = settings.Seed,
                    });
                    result = TrainAndSave(trainer, multVae, data, settings, resume ? checkpointPath : null, modelPath, cancellationToken);
                    chosen = multVae;
                    break;
                }
                case "ease":
                    chosen = owned.Add(EaseRecommender.Fit(data.Train));
                    break;
                default:
                    chosen = new PopularityRecommender(data.Train);
                    break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The trainer wrote the checkpoint of the batch it stopped after.
            throw new RunInterruptedException(
                $"during training; no model was saved, but the checkpoint is: continue with --resume --output {settings.Output}", cancellationToken);
        }
        if (result is not null) ValidationPlot.Save(plotPath, result.Epochs);

        // EASE as the baseline (and as the blend's second part with --blend-ease, whatever the item count).
        var easeModel = settings.Model == "ease" ? (EaseRecommender)chosen
            : settings.BlendEase || (!settings.NoEase && data.ItemCount <= EaseItemLimit) ? owned.Add(EaseRecommender.Fit(data.Train)) : null;
        var blend = settings.BlendEase ? BlendedRecommender.Fit(chosen, easeModel!, data.Validation) : null;
        var scored = (IRecommender?)blend ?? chosen;

        var recommendClock = Stopwatch.StartNew();
        var test = RecommendationEvaluator.Evaluate(scored, data.Test);
        var recommendSeconds = recommendClock.Elapsed.TotalSeconds;
        var alone = blend is null ? test : RecommendationEvaluator.Evaluate(chosen, data.Test);
        var popularity = RecommendationEvaluator.Evaluate(new PopularityRecommender(data.Train), data.Test);
        var ease = settings.Model == "ease" ? test : easeModel is null ? null : RecommendationEvaluator.Evaluate(easeModel, data.Test);
        if (settings.Predictions is { } predictions)
            WritePredictions(scored, data.Test, predictions);

        if (!settings.Json)
        {
            var name = blend is null ? DisplayName(settings.Model)
                : string.Create(CultureInfo.InvariantCulture, $"{DisplayName(settings.Model)} {blend.Weights[0]:0.##} + EASE {blend.Weights[1]:0.##}");
            AnsiConsole.Write(MetricsTable(name, test, blend is null ? null : (DisplayName(settings.Model), alone), popularity,
                settings.Model is "ease" or "popularity" ? null : ease, data.ItemCount));
            if (blend is not null)
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"Blend weights {blend.Weights[0]:0.##} / {blend.Weights[1]:0.##}, chosen on the validation users (NDCG@100 {blend.ValidationNdcg:F4})."));
            if (result is not null)
            {
                AnsiConsole.MarkupLine($"Best epoch [bold]{result.BestEpoch}[/] of {result.Epochs.Count} (validation NDCG@100 {result.BestValidationNdcg:F4}); " +
                                       $"{result.TrainingUsersPerSecond:N0} training users/s, {data.Test.UserCount / recommendSeconds:N0} test users scored/s.");
                AnsiConsole.MarkupLine($"Model: [blue]{Markup.Escape(modelPath)}[/]");
                AnsiConsole.MarkupLine($"Plot: [blue]{Markup.Escape(plotPath)}[/]");
            }
            if (settings.Predictions is not null) AnsiConsole.MarkupLine($"Predictions: [blue]{Markup.Escape(settings.Predictions)}[/]");
        }
        else
        {
            Console.WriteLine(JsonLine.Serialize(new
            {
                recommender = blend is null ? settings.Model : $"{settings.Model}+ease",
                test_ndcg_at_100 = test.MeanNdcg(100),
                test_recall_at_20 = test.MeanRecall(20),
                test_recall_at_50 = test.MeanRecall(50),
                popularity_ndcg_at_100 = popularity.MeanNdcg(100),
                ease_ndcg_at_100 = ease?.MeanNdcg(100),
                multvae_ndcg_at_100 = settings.Model == "multvae" ? alone.MeanNdcg(100) : (double?)null,
                recvae_ndcg_at_100 = settings.Model == "recvae" ? alone.MeanNdcg(100) : (double?)null,
                blend_ndcg_at_100 = blend is null ? (double?)null : test.MeanNdcg(100),
                blend_vae_weight = blend?.Weights[0],
                blend_validation_ndcg_at_100 = blend?.ValidationNdcg,
                validation_ndcg_at_100 = result?.BestValidationNdcg,
                best_epoch = result?.BestEpoch ?? 0,
                epochs = result?.Epochs.Count ?? 0,
                users_per_second = result?.TrainingUsersPerSecond,
                seconds = clock.Elapsed.TotalSeconds,
                peak_working_set_mib = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
                items = data.ItemCount,
                threads = torch.get_num_threads(),
                model = result is null ? null : modelPath,
            }));
        }
        return 0;
    }

    // Trains (or resumes) the VAE, with a progress bar on a terminal, and saves it.
    private static MultVaeTrainingResult TrainAndSave<TModel>(VaeRecommenderTrainer<TModel> trainer, TModel model, ImplicitFeedbackData data,
        TrainSettings settings, string? resumeFrom, string modelPath, CancellationToken cancellationToken)
        where TModel : VaeRecommender
    {
        MultVaeTrainingResult Run(IProgress<MultVaeEpoch>? progress) => resumeFrom is null
            ? trainer.Train(model, data, progress, cancellationToken)
            : trainer.Resume(model, data, resumeFrom, progress, cancellationToken);
        var result = settings.Json || Console.IsOutputRedirected ? Run(null) : WithProgressBar(settings.Epochs, Run);
        model.Save(modelPath);
        return result;
    }

    private static (ImplicitFeedbackData Data, string Source) Load(TrainSettings settings)
    {
        if (settings.Data is { } folder)
            return (ImplicitFeedbackFolder.Read(folder), Path.GetFullPath(folder));
        var options = (settings.Synthetic == "long-tail" ? SyntheticClickOptions.LongTail : new SyntheticClickOptions()) with
        {
            UserCount = settings.Users, ItemCount = settings.Items, TopicCount = Math.Max(5, Math.Min(settings.Items / 40, settings.Items / 8)), Seed = settings.Seed,
        };
        return (SyntheticClicks.Generate(options).Split(), $"synthetic clicks ({(settings.Synthetic == "long-tail" ? "long-tail, " : "")}{options.UserCount:N0} users, {options.ItemCount:N0} items, {options.TopicCount} topics)");
    }

    private static MultVaeTrainingResult WithProgressBar(int epochs, Func<IProgress<MultVaeEpoch>, MultVaeTrainingResult> train) =>
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
                var result = train(progress);
                task.StopTask();
                return result;
            });

    private static string DisplayName(string model) => model switch
    {
        "recvae" => "RecVAE",
        "multvae" => "Mult-VAE",
        "ease" => "EASE (λ = 500)",
        _ => "popularity",
    };

    private static Table MetricsTable(string name, RankingReport vae, (string Name, RankingReport Report)? alone, RankingReport popularity, RankingReport? ease, int items)
    {
        var table = new Table().RoundedBorder().AddColumns("test users", "NDCG@100", "Recall@20", "Recall@50");
        foreach (var column in table.Columns.Skip(1)) column.RightAligned();
        void Row(string name, RankingReport report) => table.AddRow(name,
            report.MeanNdcg(100).ToString("F4", CultureInfo.InvariantCulture),
            report.MeanRecall(20).ToString("F4", CultureInfo.InvariantCulture),
            report.MeanRecall(50).ToString("F4", CultureInfo.InvariantCulture));
        Row(name, vae);
        if (alone is { } part) Row(part.Name, part.Report);
        if (name != "popularity") Row("popularity", popularity);
        if (ease is not null) Row("EASE (λ = 500)", ease);
        return table.Caption(ease is null && items > EaseItemLimit ? $"EASE left out above {EaseItemLimit:N0} items" : $"{vae.Users.Count:N0} users with held-out clicks");
    }

    /// <summary>The top 100 unseen items of every test user with fold-in clicks, as uid,rank,sid with the input files' ids.</summary>
    internal static void WritePredictions(IRecommender model, HeldOutUsers test, string path)
    {
        var lists = model switch
        {
            VaeRecommender vae => vae.Recommend(test.FoldIn, 100),
            _ => TopItems(model, test.FoldIn, 100),
        };
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

    // The k best unclicked items of every user by a recommender's scores (EASE, popularity).
    private static IReadOnlyList<UserRecommendations> TopItems(IRecommender model, ClickMatrix history, int k)
    {
        var lists = new List<UserRecommendations>(history.UserCount);
        var take = Math.Min(k, model.ItemCount);
        for (var start = 0; start < history.UserCount; start += 1000)
        {
            var count = Math.Min(1000, history.UserCount - start);
            using var scope = torch.NewDisposeScope();
            var scores = model.Score(history, start, count).data<float>().ToArray();
            for (var r = 0; r < count; r++)
            {
                var row = scores.AsSpan(r * model.ItemCount, model.ItemCount).ToArray();
                foreach (var item in history.ItemsOf(start + r)) row[item] = float.NegativeInfinity;
                var best = Enumerable.Range(0, row.Length).Where(i => !float.IsNegativeInfinity(row[i]))
                    .OrderByDescending(i => row[i]).ThenBy(i => i).Take(take).ToArray();
                lists.Add(new UserRecommendations(start + r, best, best.Select(i => row[i]).ToArray()));
            }
        }
        return lists;
    }

    private sealed class DisposableList : IDisposable
    {
        private readonly List<IDisposable> _items = [];

        public T Add<T>(T item) where T : IDisposable
        {
            _items.Add(item);
            return item;
        }

        public void Dispose()
        {
            foreach (var item in _items) item.Dispose();
        }
    }
}
