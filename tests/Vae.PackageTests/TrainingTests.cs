using Vae.Tests.TensorBoard;
using static TorchSharp.torch;

namespace Vae.PackageTests;

/// <summary>
/// The trainer as an app drives it: a cosine schedule cancelled mid-run and resumed bit for bit, a callback that
/// stops the run, and the TensorBoard callback's event file read back.
/// </summary>
public sealed class TrainingTests : IDisposable
{
    private const int Features = 20;

    private readonly string directory = Directory.CreateTempSubdirectory("vae-package-training-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static VariationalAutoencoder NewModel()
    {
        manual_seed(7);
        return new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [16], LatentSize = 2 });
    }

    [Fact]
    public void ACosineScheduleCancelledMidRunResumesBitForBit()
    {
        using var scope = NewDisposeScope();
        var data = TestData.Binary(96, Features, seed: 1); // 6 batches of 16
        var validation = TestData.Binary(32, Features, seed: 2);
        var options = new VaeTrainerOptions
        {
            Epochs = 5, BatchSize = 16, LearningRate = 3e-3, Seed = 5, WeightDecay = 0.01,
            LearningRateSchedule = new CosineAnnealingSchedule { MinimumLearningRate = 1e-4 },
        };

        using var straight = NewModel();
        IReadOnlyList<EpochSummary> straightHistory;
        using (var trainer = new VaeTrainer(straight, options))
            straightHistory = trainer.Fit(data, validation).History;
        straightHistory.Select(h => h.LearningRate).Should().OnlyHaveUniqueItems("the cosine schedule changes the rate every epoch");

        var checkpoint = Path.Combine(directory, "run.ckpt");
        using var cancellation = new CancellationTokenSource();
        var progress = new TestData.SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Epoch == 3 && p.Batch == 2 && p.CompletedEpoch is null) cancellation.Cancel();
        });
        using (var interrupted = NewModel())
        using (var trainer = new VaeTrainer(interrupted, options with { CheckpointPath = checkpoint }))
            FluentActions.Invoking(() => trainer.Fit(data, validation, progress, cancellation.Token)).Should().Throw<OperationCanceledException>();

        using var resumedTrainer = VaeTrainer.Resume(checkpoint);
        resumedTrainer.CompletedEpochs.Should().Be(2);
        var history = resumedTrainer.Fit(data, validation).History;
        using var resumed = resumedTrainer.Model;
        history.Select(h => (h.Train, h.Validation, h.LearningRate))
            .Should().Equal(straightHistory.Select(h => (h.Train, h.Validation, h.LearningRate)));
        TestData.ShouldHaveTheSameWeights(resumed, straight);
    }

    private sealed class StopAfterEpoch(int lastEpoch) : ITrainingCallback
    {
        public List<int> EpochsSeen { get; } = [];

        public void OnEpochEnd(EpochContext context)
        {
            EpochsSeen.Add(context.Summary.Epoch);
            if (context.Summary.Epoch == lastEpoch) context.RequestStop($"enough after epoch {lastEpoch}");
        }
    }

    [Fact]
    public void ACallbackStopsTraining()
    {
        using var scope = NewDisposeScope();
        var callback = new StopAfterEpoch(2);
        using var model = NewModel();
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 10, BatchSize = 16, Seed = 1, Callbacks = [callback] });

        var result = trainer.Fit(TestData.Binary(64, Features, seed: 3));

        result.History.Should().HaveCount(2);
        result.StoppedEarly.Should().BeTrue();
        result.StopReason.Should().Be("enough after epoch 2");
        callback.EpochsSeen.Should().Equal(1, 2);
    }

    [Fact]
    public void TheTensorBoardEventFileHoldsEveryEpochsScalars()
    {
        using var scope = NewDisposeScope();
        var logs = Path.Combine(directory, "runs", "exp1");
        IReadOnlyList<EpochSummary> history;
        using (var board = new TensorBoardCallback(logs))
        using (var model = NewModel())
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions
        {
            Epochs = 3, BatchSize = 16, Seed = 2, LearningRateSchedule = new CosineAnnealingSchedule(), Callbacks = [board],
        }))
            history = trainer.Fit(TestData.Binary(64, Features, seed: 4), TestData.Binary(32, Features, seed: 5)).History;

        var file = Directory.GetFiles(logs, "events.out.tfevents.*").Should().ContainSingle().Subject;
        var scalars = TensorBoardEventFile.Scalars(TensorBoardEventFile.Read(file));
        scalars.Keys.Should().Contain(["loss/train", "loss/validation", "reconstruction/train", "kl/train", "beta", "learning_rate", "images_per_second"]);
        scalars["loss/train"].Should().Equal(history.Select(h => ((long)h.Epoch, (float)h.Train.Loss)));
        scalars["loss/validation"].Should().Equal(history.Select(h => ((long)h.Epoch, (float)h.Validation!.Loss)));
        scalars["learning_rate"].Should().Equal(history.Select(h => ((long)h.Epoch, (float)h.LearningRate)));
    }
}
