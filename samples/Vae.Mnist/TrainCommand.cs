using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples;

namespace Vae.Mnist;

/// <summary>Trains a VAE on MNIST, shows its progress, and writes the model, a checkpoint and pictures.</summary>
internal sealed class TrainCommand : AsyncCommand<TrainSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        // Before anything is read or written: a second run into this folder would interleave its checkpoints with ours.
        using var outputLock = OutputFolderLock.Acquire(settings.Output, OwnFiles);
        var checkpoint = Path.Combine(settings.Output, CheckpointFileName);
        var modelPath = Path.Combine(settings.Output, ModelFileName);
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);

        // Scalars, and grids of the first 32 test digits reconstructed and of 64 samples: this program carries SkiaSharp's native library.
        using var tensorBoard = settings.TensorBoard is { } logs ? new TensorBoardCallback(logs, new TensorBoardImages()) : null;
        IReadOnlyList<ITrainingCallback> callbacks = tensorBoard is null ? [] : [tensorBoard];

        // Every refusal comes before the data is read and before a fresh checkpoint is written.
        var trainer = StartingPoint(settings, GivenOptions(context.Arguments), checkpoint, modelPath, callbacks);
        var resumed = trainer is not null;
        try
        {
            var folder = await DataSource.ResolveAsync(settings.Data, settings.Download, settings.Json, cancellationToken);
            using var train = MnistDataset.Load(folder, MnistSplit.Train);
            using var test = MnistDataset.Load(folder, MnistSplit.Test);
            trainer ??= CreateTrainer(settings, checkpoint, callbacks);
            var model = trainer.Model;
            var firstEpoch = trainer.CompletedEpochs + 1;
            if (!settings.Json)
                AnsiConsole.MarkupLine($"[bold]VAE {model.Options}[/] on {train.Count:N0} training and {test.Count:N0} test digits from [grey]{Markup.Escape(folder)}[/], " +
                                       $"{libtorchThreads()} CPU thread(s), epochs {firstEpoch}..{settings.Epochs}{(resumed ? " (resumed)" : "")}");

            TrainingResult result;
            using var trainRows = ModelRows.Of(model, train);
            using var testRows = ModelRows.Of(model, test);
            try
            {
                result = settings.Json || Console.IsOutputRedirected
                    ? trainer.Fit(trainRows, testRows, null, cancellationToken)
                    : TrainWithProgressBars(trainer, trainRows, testRows, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The trainer wrote the checkpoint of the batch it stopped after.
                throw new RunInterruptedException(
                    $"after {trainer.CompletedEpochs} epoch(s); the checkpoint is saved: continue with --resume --output {settings.Output}", cancellationToken);
            }

            var trainedThisRun = result.History.Where(h => h.Epoch >= firstEpoch).ToList();
            if (!settings.Json) AnsiConsole.Write(EpochTable(trainedThisRun.Count > 0 ? trainedThisRun : result.History));

            model.Save(modelPath);
            var pictures = Pictures.Write(model, test, result.History, settings.Output, settings.Seed);
            var testLoss = model.Evaluate(testRows, seed: trainer.Options.Seed); // the seed the trainer validates with
            if (!settings.Json)
            {
                AnsiConsole.MarkupLine($"Test loss [bold]{testLoss.Loss:F2}[/] nats per image (reconstruction {testLoss.Reconstruction:F2} + KL {testLoss.Kl:F2}).");
                AnsiConsole.MarkupLine($"Model: [blue]{Markup.Escape(modelPath)}[/]");
                foreach (var picture in pictures) AnsiConsole.MarkupLine($"Picture: [blue]{Markup.Escape(picture)}[/]");
            }
            else
            {
                Console.WriteLine(JsonLine.Serialize(new
                {
                    epochs = result.History.Count,
                    train_loss = result.Last.Train.Loss,
                    test_loss = testLoss.Loss,
                    test_reconstruction = testLoss.Reconstruction,
                    test_kl = testLoss.Kl,
                    images_per_second = ImagesPerSecond(trainedThisRun),
                    seconds = clock.Elapsed.TotalSeconds,
                    peak_working_set_mib = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
                    architecture = model.Options.ToString(),
                    threads = libtorchThreads(),
                    step = trainer.UsesFusedCpuKernels ? "fused" : "autograd",
                    resumed,
                    model = modelPath,
                }));
            }
            return 0;
        }
        finally
        {
            if (trainer is not null)
            {
                trainer.Model.Dispose();
                trainer.Dispose();
            }
        }

        static int libtorchThreads() => torch.get_num_threads();
    }

    private const string CheckpointFileName = "checkpoint.ckpt";
    private const string ModelFileName = "model.vae";

    /// <summary>The files a run writes into --output, whose stale temporaries a new run deletes.</summary>
    internal static IReadOnlyList<string> OwnFiles { get; } =
    [
        CheckpointFileName, ModelFileName, "reconstructions.png", "samples.png", "interpolation.png", "latent-manifold.png",
        "latent-scatter.png", "loss.png", ConditionalPictures.GridFileName,
    ];

    /// <summary>The options the command line names (<c>--lr 0.01</c> and <c>--lr=0.01</c> alike); only these can contradict a checkpoint.</summary>
    internal static HashSet<string> GivenOptions(IEnumerable<string> arguments) =>
        arguments.Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=', 2)[0]).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The trainer of the run to continue, or null for a fresh start; refuses, before anything is written, to replace an
    /// earlier run without --overwrite or to continue one with options it was not trained with.
    /// </summary>
    private static VaeTrainer? StartingPoint(TrainSettings settings, ISet<string> given, string checkpoint, string modelPath, IReadOnlyList<ITrainingCallback> callbacks) =>
        EarlierRun.Continues(settings.Output, settings.Resume, settings.Overwrite, checkpoint, modelPath) ? Resume(settings, given, checkpoint, callbacks) : null;

    private static VaeTrainer Resume(TrainSettings settings, ISet<string> given, string checkpoint, IReadOnlyList<ITrainingCallback> callbacks)
    {
        var trainer = VaeTrainer.Resume(checkpoint, options => options with
        {
            Epochs = settings.Epochs, CheckpointPath = checkpoint, CpuThreads = settings.Threads, UseFusedCpuKernels = !settings.Autograd,
            Callbacks = callbacks,
        });
        var conflicts = Contradictions(settings, given, trainer.Model.Options, trainer.Options).ToList();
        if (conflicts.Count == 0) return trainer;
        trainer.Model.Dispose();
        trainer.Dispose();
        throw new InvalidOperationException(
            $"--resume: the checkpoint '{Path.GetFullPath(checkpoint)}' was trained with {string.Join("; ", conflicts)}. " +
            "Leave the option out to continue that run, or start a new one with --overwrite or another --output.");
    }

    /// <summary>The options given on the command line that differ from the run in the checkpoint, one phrase each.</summary>
    internal static IEnumerable<string> Contradictions(TrainSettings settings, ISet<string> given, VaeOptions model, VaeTrainerOptions training)
    {
        var candidates = new (string Option, string Stored, string Given)[]
        {
            ("--arch", Name(model.Architecture), Name(settings.Architecture)),
            ("--latent", Text(model.LatentSize), Text(settings.Latent)),
            ("--hidden", string.Join(",", model.HiddenSizes), string.Join(",", settings.HiddenSizes)),
            ("--channels", string.Join(",", model.ConvChannels), string.Join(",", settings.ConvChannels)),
            ("--batch-size", Text(training.BatchSize), Text(settings.BatchSize)),
            ("--lr", Text(training.LearningRate), Text(settings.LearningRate)),
            ("--beta", Text(training.Beta), Text(settings.Beta)),
            ("--warmup", Text(training.KlWarmupEpochs), Text(settings.Warmup)),
            ("--seed", Text(training.Seed), Text(settings.Seed)),
            ("--weight-average", training.WeightAverageDecay is { } stored ? Text(stored) : "none", settings.WeightAverage is { } decay ? Text(decay) : "none"),
        };
        return candidates.Where(c => given.Contains(c.Option) && c.Stored != c.Given)
            .Select(c => $"{c.Option} {c.Stored}, but {c.Option} {c.Given} was given");

        static string Name(VaeArchitecture architecture) => architecture == VaeArchitecture.Convolutional ? "conv" : "mlp";
        static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
    }

    private static VaeTrainer CreateTrainer(TrainSettings settings, string checkpoint, IReadOnlyList<ITrainingCallback> callbacks)
    {
        torch.manual_seed(settings.Seed);
        var model = new VariationalAutoencoder(new VaeOptions
        {
            Architecture = settings.Architecture,
            ImageChannels = 1,
            ImageHeight = MnistDataset.ImageSide,
            ImageWidth = MnistDataset.ImageSide,
            ConvChannels = settings.ConvChannels,
            HiddenSizes = settings.HiddenSizes,
            LatentSize = settings.Latent,
            Likelihood = settings.LikelihoodKind,
            ConditionClasses = settings.Conditional ? MnistDataset.ClassCount : 0,
            Prior = settings.PriorKind,
        });
        var trainer = new VaeTrainer(model, new VaeTrainerOptions
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Beta = settings.Beta,
            KlWarmupEpochs = settings.Warmup,
            WeightAverageDecay = settings.WeightAverage,
            Seed = settings.Seed,
            CpuThreads = settings.Threads,
            UseFusedCpuKernels = !settings.Autograd,
            CheckpointPath = checkpoint,
            // keep the best test epoch's weights only when asked for; the plain run reports its last epoch
            RestoreBestWeights = false,
            Objective = settings.ObjectiveKind,
            ImportanceSamples = settings.Samples,
            Callbacks = callbacks,
        });
        // A checkpoint from the very start: a run killed during its first epoch can be resumed too.
        trainer.SaveCheckpoint(checkpoint);
        return trainer;
    }

    private static TrainingResult TrainWithProgressBars(VaeTrainer trainer, torch.Tensor train, torch.Tensor test, CancellationToken cancellationToken) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                ProgressTask? task = null;
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    if (task is null || p.Batch == 1 && p.CompletedEpoch is null && !task.Description.StartsWith($"epoch {p.Epoch,3}", StringComparison.Ordinal))
                    {
                        task?.StopTask();
                        task = context.AddTask($"epoch {p.Epoch,3}/{p.Epochs}", maxValue: Math.Max(1, p.BatchesPerEpoch));
                    }
                    if (p.CompletedEpoch is { } done)
                    {
                        task.Value = task.MaxValue;
                        task.Description = $"epoch {p.Epoch,3}/{p.Epochs}  train {done.Train.Loss,7:F2}  test {done.Validation?.Loss,7:F2}  {done.ImagesPerSecond,7:N0} img/s";
                        task.StopTask();
                    }
                    else
                    {
                        task.Value = p.Batch;
                        task.Description = $"epoch {p.Epoch,3}/{p.Epochs}  loss  {p.Loss,7:F2}  {p.ImagesPerSecond,13:N0} img/s";
                    }
                });
                return trainer.Fit(train, test, progress, cancellationToken);
            });

    private static Table EpochTable(IEnumerable<EpochSummary> epochs)
    {
        var table = new Table().RoundedBorder()
            .AddColumns("epoch", "train loss", "test loss", "test recon.", "test KL", "images/s", "seconds");
        foreach (var column in table.Columns) column.RightAligned();
        foreach (var e in epochs)
        {
            table.AddRow(
                e.Epoch.ToString(), e.Train.Loss.ToString("F2"), e.Validation?.Loss.ToString("F2") ?? "-",
                e.Validation?.Reconstruction.ToString("F2") ?? "-", e.Validation?.Kl.ToString("F2") ?? "-",
                e.ImagesPerSecond.ToString("N0"), e.Duration.TotalSeconds.ToString("F1"));
        }
        return table.Caption("losses in nats per image (negative ELBO)");
    }

    private static double ImagesPerSecond(IReadOnlyList<EpochSummary> epochs)
    {
        // The median epoch: the first one pays for warming up, and a busy machine can slow any one.
        if (epochs.Count == 0) return 0;
        var rates = epochs.Select(e => e.ImagesPerSecond).Order().ToArray();
        return rates.Length % 2 == 1 ? rates[rates.Length / 2] : (rates[rates.Length / 2 - 1] + rates[rates.Length / 2]) / 2;
    }
}
