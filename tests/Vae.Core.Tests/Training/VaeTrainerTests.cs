using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

public sealed class VaeTrainerTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-trainer-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static VaeTrainerOptions Quick(int epochs) => new() { Epochs = epochs, BatchSize = 32, LearningRate = 3e-3, Seed = 5 };

    [Fact]
    public void LossDecreasesOverThreeEpochs()
    {
        using var scope = NewDisposeScope();
        var data = Binary(512, 64, seed: 1);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(3));

        var history = trainer.Fit(data, data).History;

        history.Select(h => h.Train.Loss).Should().BeInDescendingOrder().And.HaveCount(3);
        history.Select(h => h.Validation!.Loss).Should().BeInDescendingOrder();
        history[^1].Validation!.Loss.Should().BeLessThan(history[0].Validation!.Loss * 0.9);
    }

    [Fact]
    public void ValidationLossIsTheMeanNegativeElboOfTheModel()
    {
        using var scope = NewDisposeScope();
        var data = Binary(300, 64, seed: 2);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(1) with { Seed = 9 });
        var reported = trainer.Fit(data, data).History[0].Validation!;

        // the same draw of z: a generator seeded like the trainer's evaluation, over the whole set at once
        using var generator = new Generator(9);
        var terms = model.NegativeElbo(data, reduction: nn.Reduction.Mean, generator: generator);
        reported.Loss.Should().BeApproximately(terms.Loss.item<float>(), 1e-3);
        reported.Kl.Should().BeApproximately(terms.Kl.item<float>(), 1e-3);
    }

    [Fact]
    public void ResumingFromACheckpointEqualsAnUninterruptedRunBitForBit()
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 3); // 7 batches of 32, the last one partial
        var options = Quick(4) with { KlWarmupEpochs = 2, MaxGradientNorm = 50 };

        using var straight = SmallModel();
        using (var trainer = new VaeTrainer(straight, options)) trainer.Fit(data, data);

        var path = Path.Combine(directory, "run.ckpt");
        using (var first = SmallModel())
        using (var trainer = new VaeTrainer(first, options with { Epochs = 2, CheckpointPath = path }))
            trainer.Fit(data, data);

        using var resumed = SmallModel(seed: 77); // other initial weights: the checkpoint must replace them all
        using (var trainer = new VaeTrainer(resumed, options))
        {
            trainer.LoadCheckpoint(path);
            trainer.CompletedEpochs.Should().Be(2);
            trainer.Fit(data, data).History.Should().HaveCount(4);
        }

        SameWeights(resumed, Weights(straight)).Should().BeTrue();
    }

    [Fact]
    public void AConvolutionalGaussianModelWithLearnedVarianceResumesBitForBit()
    {
        using var scope = NewDisposeScope();
        var architecture = new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, InputSize = 64, ImageChannels = 1, ImageHeight = 8, ImageWidth = 8,
            ConvChannels = [4], HiddenSizes = [16], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true,
        };
        VariationalAutoencoder NewModel(int seed)
        {
            manual_seed(seed);
            return new VariationalAutoencoder(architecture);
        }
        var data = randn(96, 64, generator: new Generator(12));
        var options = Quick(3) with { FreeBits = 0.1 };

        using var straight = NewModel(1);
        using (var trainer = new VaeTrainer(straight, options)) trainer.Fit(data, data);

        var path = Path.Combine(directory, "gaussian.ckpt");
        using (var first = NewModel(1))
        using (var trainer = new VaeTrainer(first, options with { Epochs = 1, CheckpointPath = path }))
            trainer.Fit(data, data);
        using var resumedTrainer = VaeTrainer.Resume(path, o => o with { Epochs = 3 });
        resumedTrainer.Fit(data, data);
        using var resumed = resumedTrainer.Model;

        resumed.Options.Should().Be(architecture);
        SameWeights(resumed, Weights(straight)).Should().BeTrue();
    }

    [Fact]
    public void CancellationMidEpochLeavesACheckpointThatResumesBitForBit()
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 4);
        var path = Path.Combine(directory, "cancelled.ckpt");
        var options = Quick(3);

        using var straight = SmallModel();
        using (var trainer = new VaeTrainer(straight, options)) trainer.Fit(data);

        using var cancellation = new CancellationTokenSource();
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p is { Epoch: 2, Batch: 3, CompletedEpoch: null }) cancellation.Cancel();
        });
        using (var interrupted = SmallModel())
        using (var trainer = new VaeTrainer(interrupted, options with { CheckpointPath = path, CheckpointEveryEpochs = 10 }))
        {
            var act = () => trainer.Fit(data, null, progress, cancellation.Token);
            act.Should().Throw<OperationCanceledException>();
        }

        File.Exists(path).Should().BeTrue();
        Directory.GetFiles(directory).Should().ContainSingle("no temporary file is left behind");
        using var resumedTrainer = VaeTrainer.Resume(path);
        resumedTrainer.CompletedEpochs.Should().Be(1);
        resumedTrainer.Fit(data);
        using var resumed = resumedTrainer.Model;
        SameWeights(resumed, Weights(straight)).Should().BeTrue();
    }

    [Fact]
    public void ANaNBatchStopsTrainingNamingEpochAndBatchAndKeepsTheLastGoodWeights()
    {
        using var scope = NewDisposeScope();
        var good = Binary(32, 64, seed: 5);
        var poisoned = good.clone();
        poisoned[4, 10] = tensor(float.NaN);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(2));
        Dictionary<string, Tensor>? afterBatch2 = null;
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p is { Epoch: 2, Batch: 2, CompletedEpoch: null }) afterBatch2 = Weights(model);
        });

        var act = () => trainer.Fit(epoch => epoch == 2 ? [good, good, poisoned, good] : [good, good], null, progress);

        act.Should().Throw<TrainingDivergedException>().Where(e => e.Epoch == 2 && e.Batch == 3 && e.Message.Contains("epoch 2, batch 3"));
        SameWeights(model, afterBatch2!).Should().BeTrue();
        model.parameters().All(p => p.isfinite().all().item<bool>()).Should().BeTrue();
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestWeights()
    {
        using var scope = NewDisposeScope();
        // A model that memorises 16 samples gets worse on different data: validation loss turns up.
        var train = Binary(16, 64, seed: 6);
        var validation = Binary(256, 64, seed: 60);
        using var model = SmallModel();
        var snapshots = new Dictionary<int, Dictionary<string, Tensor>>();
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.CompletedEpoch is { } e) snapshots[e.Epoch] = Weights(model);
        });
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 300, BatchSize = 16, LearningRate = 1e-2, EarlyStoppingPatience = 5 });

        var result = trainer.Fit(train, validation, progress);

        result.StoppedEarly.Should().BeTrue();
        var best = result.History.MinBy(h => h.Validation!.Loss)!;
        result.BestEpoch.Should().Be(best.Epoch);
        result.History.Should().HaveCount(best.Epoch + 5);
        SameWeights(model, snapshots[best.Epoch]).Should().BeTrue();
        SameWeights(model, snapshots[result.History.Count]).Should().BeFalse();
    }

    [Fact]
    public void TheLiveTensorCountIsTheSameAfterEpoch20AsAfterEpoch1()
    {
        using var scope = NewDisposeScope();
        var data = Binary(128, 64, seed: 7);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(20) with { CheckpointPath = Path.Combine(directory, "c.ckpt"), KlWarmupEpochs = 3 });

        var history = trainer.Fit(data, data).History;

        history[^1].LiveTensors.Should().Be(history[0].LiveTensors);
    }

    [Fact]
    public void NothingTheCallerPassedIsDisposed()
    {
        using var scope = NewDisposeScope();
        var data = Binary(64, 64, seed: 8);
        var batches = new[] { data.narrow(0, 0, 32), data.narrow(0, 32, 32) };
        using var model = SmallModel();
        using (var trainer = new VaeTrainer(model, Quick(2)))
        {
            trainer.Fit(data, data);
            trainer.Fit(_ => batches);
        }

        data.IsInvalid.Should().BeFalse();
        batches.Should().OnlyContain(b => !b.IsInvalid);
        model.parameters().Should().OnlyContain(p => !p.IsInvalid);
        data.sum().item<float>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void KlWarmUpRampsBetaLinearlyFromZero()
    {
        using var scope = NewDisposeScope();
        var data = Binary(96, 64, seed: 9);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(3) with { Beta = 2, KlWarmupEpochs = 2 });
        trainer.Fit(data).History.Select(h => h.Beta).Should().Equal(1.0, 2.0, 2.0);
    }

    [Fact]
    public void ABatchLargerThanTheDataTrainsOneBatchPerEpoch()
    {
        using var scope = NewDisposeScope();
        var data = Binary(20, 64, seed: 10);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(2) with { BatchSize = 1000 });
        var batches = new List<int>();
        trainer.Fit(data, null, new SyncProgress<TrainingProgress>(p => { if (p.CompletedEpoch is null) batches.Add(p.BatchesPerEpoch); }));
        batches.Should().Equal(1, 1);
    }

    [Theory]
    [InlineData("Epochs")]
    [InlineData("BatchSize")]
    [InlineData("LearningRate")]
    [InlineData("Beta")]
    [InlineData("MaxGradientNorm")]
    [InlineData("FreeBits")]
    public void BadOptionsAreRejected(string name)
    {
        var options = name switch
        {
            "Epochs" => new VaeTrainerOptions { Epochs = 0 },
            "BatchSize" => new VaeTrainerOptions { BatchSize = 0 },
            "LearningRate" => new VaeTrainerOptions { LearningRate = -1e-3 },
            "Beta" => new VaeTrainerOptions { Beta = double.NaN },
            "FreeBits" => new VaeTrainerOptions { FreeBits = -1 },
            _ => new VaeTrainerOptions { MaxGradientNorm = 0 },
        };
        using var model = SmallModel();
        var act = () => new VaeTrainer(model, options);
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == name);
    }

    [Fact]
    public void BadTrainingDataIsRejectedBeforeTheFirstStep()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(1));
        var wide = () => trainer.Fit(zeros(10, 65));
        wide.Should().Throw<ArgumentException>().Where(e => e.ParamName == "train" && e.Message.Contains("[10, 65]"));
        var bytes = () => trainer.Fit(full(10, 64, 255f));
        bytes.Should().Throw<ArgumentException>().Where(e => e.ParamName == "train" && e.Message.Contains("255"));
        trainer.CompletedEpochs.Should().Be(0);
    }

    [Fact]
    public void ACheckpointOfAnotherArchitectureOrADamagedOneIsRefusedClearly()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(directory, "small.ckpt");
        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, Quick(1) with { CheckpointPath = path }))
            trainer.Fit(Binary(32, 64, seed: 11));

        using var other = new VariationalAutoencoder(new VaeOptions { InputSize = 64, HiddenSizes = [16], LatentSize = 4 });
        using var otherTrainer = new VaeTrainer(other);
        var architecture = () => otherTrainer.LoadCheckpoint(path);
        architecture.Should().Throw<InvalidDataException>().Where(e => e.Message.Contains("64-32-4") && e.Message.Contains("64-16-4"));

        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        var corrupt = Path.Combine(directory, "corrupt.ckpt");
        File.WriteAllBytes(corrupt, bytes);
        var damaged = () => VaeTrainer.Resume(corrupt);
        damaged.Should().Throw<InvalidDataException>().Where(e => e.Message.Contains("checksum") && e.Message.Contains(corrupt));

        var truncated = Path.Combine(directory, "truncated.ckpt");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        var shortFile = () => VaeTrainer.Resume(truncated);
        shortFile.Should().Throw<InvalidDataException>().Where(e => e.Message.Contains("truncated"));

        var text = Path.Combine(directory, "notes.txt");
        File.WriteAllText(text, "not a checkpoint");
        var notCheckpoint = () => VaeTrainer.Resume(text);
        notCheckpoint.Should().Throw<InvalidDataException>().Where(e => e.Message.Contains("not a Vae training checkpoint"));
    }
}
