using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Mnist;

/// <summary>Trains a VAE on MNIST, shows its progress, and writes the model, a checkpoint and pictures.</summary>
internal sealed class TrainCommand : AsyncCommand<TrainSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            e.Cancel = true; // finish the batch, write the checkpoint, then stop
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            var folder = await DataSource.ResolveAsync(settings.Data, settings.Download, settings.Json, interrupt.Token);
            using var train = MnistDataset.Load(folder, MnistSplit.Train);
            using var test = MnistDataset.Load(folder, MnistSplit.Test);
            Directory.CreateDirectory(settings.Output);
            var checkpoint = Path.Combine(settings.Output, "checkpoint.ckpt");
            if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);

            using var trainer = CreateTrainer(settings, checkpoint);
            using var model = trainer.Model;
            var firstEpoch = trainer.CompletedEpochs + 1;
            if (!settings.Json)
                AnsiConsole.MarkupLine($"[bold]VAE {model.Options}[/] on {train.Count:N0} training and {test.Count:N0} test digits from [grey]{Markup.Escape(folder)}[/], " +
                                       $"{libtorchThreads()} CPU thread(s), epochs {firstEpoch}..{settings.Epochs}");

            TrainingResult result;
            try
            {
                result = settings.Json || Console.IsOutputRedirected
                    ? trainer.Fit(train.Images, test.Images, null, interrupt.Token)
                    : TrainWithProgressBars(trainer, train.Images, test.Images, interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
            {
                Console.Error.WriteLine($"interrupted after {trainer.CompletedEpochs} epoch(s); continue with --resume --output {settings.Output}");
                return 130;
            }

            var trainedThisRun = result.History.Where(h => h.Epoch >= firstEpoch).ToList();
            if (!settings.Json) AnsiConsole.Write(EpochTable(trainedThisRun.Count > 0 ? trainedThisRun : result.History));

            var modelPath = Path.Combine(settings.Output, "model.vae");
            model.Save(modelPath);
            var pictures = Pictures.Write(model, test, result.History, settings.Output, settings.Seed);
            var testLoss = model.Evaluate(test.Images, seed: settings.Seed); // the seed the trainer validates with
            if (!settings.Json)
            {
                AnsiConsole.MarkupLine($"Test loss [bold]{testLoss.Loss:F2}[/] nats per image (reconstruction {testLoss.Reconstruction:F2} + KL {testLoss.Kl:F2}).");
                AnsiConsole.MarkupLine($"Model: [blue]{Markup.Escape(modelPath)}[/]");
                foreach (var picture in pictures) AnsiConsole.MarkupLine($"Picture: [blue]{Markup.Escape(picture)}[/]");
            }
            else
            {
                Console.WriteLine(JsonSerializer.Serialize(new
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
                    model = modelPath,
                }));
            }
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }

        static int libtorchThreads() => torch.get_num_threads();
    }

    private static VaeTrainer CreateTrainer(TrainSettings settings, string checkpoint)
    {
        if (settings.Resume)
        {
            if (!File.Exists(checkpoint))
                throw new FileNotFoundException($"--resume: there is no checkpoint at '{checkpoint}'; train once without --resume first.", checkpoint);
            return VaeTrainer.Resume(checkpoint, options => options with
            {
                Epochs = settings.Epochs, CheckpointPath = checkpoint, CpuThreads = settings.Threads, UseFusedCpuKernels = !settings.Autograd,
            });
        }

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
        });
        var trainer = new VaeTrainer(model, new VaeTrainerOptions
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Beta = settings.Beta,
            KlWarmupEpochs = settings.Warmup,
            Seed = settings.Seed,
            CpuThreads = settings.Threads,
            UseFusedCpuKernels = !settings.Autograd,
            CheckpointPath = checkpoint,
            // keep the best test epoch's weights only when asked for; the plain run reports its last epoch
            RestoreBestWeights = false,
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

    /// <summary>Reports on the training thread: Spectre's tasks are thread-safe and System.Progress would queue every batch.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
