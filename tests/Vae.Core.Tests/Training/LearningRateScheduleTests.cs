using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// Weight decay (AdamW's, in both branches of the optimizer) and the learning-rate schedules: their rates, PyTorch's
/// plateau rule, and resumes from a checkpoint that end as the uninterrupted run, bit for bit.
/// </summary>
public sealed class LearningRateScheduleTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-schedule-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    // float32 takes the optimizer's pointer loop, float64 its libtorch operations: both must be AdamW's update.
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void WeightDecayIsTorchsAdamW(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var start = randn([5, 7], generator: generator).to(dtype);
        var gradientsPerStep = Enumerable.Range(0, 4).Select(_ => randn([5, 7], generator: generator).to(dtype)).ToArray();

        var ours = new Parameter(start.clone());
        using var flat = new FlatAdam([ours], learningRate: 0.05, weightDecay: 0.3);
        var theirs = new Parameter(start.clone());
        var reference = optim.AdamW([theirs], lr: 0.05, weight_decay: 0.3);
        for (var step = 0; step < gradientsPerStep.Length; step++)
        {
            if (step == 2) // a schedule changes the rate between steps
            {
                flat.LearningRate = 0.02;
                foreach (var group in reference.ParamGroups) group.LearningRate = 0.02;
            }
            flat.Gradients.copy_(gradientsPerStep[step].flatten());
            flat.Step();
            theirs.grad = gradientsPerStep[step].clone();
            reference.step();
        }

        var tolerance = dtype == ScalarType.Float32 ? 1e-6 : 1e-13;
        var actual = TensorAssert.ToDoubles(ours);
        var expected = TensorAssert.ToDoubles(theirs);
        for (var i = 0; i < expected.Length; i++) actual[i].Should().BeApproximately(expected[i], tolerance, $"element {i}");
        // Without the decay the weights would differ by far more than the tolerance.
        TensorAssert.ToDoubles(start).Zip(actual, (a, b) => Math.Abs(a - b)).Max().Should().BeGreaterThan(0.05);
    }

    [Fact]
    public void TheRatesOfStepAndCosineSchedulesFollowTheirFormulas()
    {
        using var scope = NewDisposeScope();
        var data = Binary(96, 64, seed: 42);
        var options = new VaeTrainerOptions { Epochs = 4, BatchSize = 32, LearningRate = 0.004, Seed = 5 };

        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, options with { LearningRateSchedule = new StepLearningRateSchedule { StepEpochs = 2, Gamma = 0.5 } }))
            trainer.Fit(data).History.Select(h => h.LearningRate).Should().Equal(0.004, 0.004, 0.002, 0.002);

        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, options with { LearningRateSchedule = new CosineAnnealingSchedule { MinimumLearningRate = 0.001 } }))
        {
            var rates = trainer.Fit(data).History.Select(h => h.LearningRate).ToArray();
            var expected = Enumerable.Range(0, 4).Select(t => 0.001 + 0.003 * (1 + Math.Cos(Math.PI * t / 4)) / 2).ToArray();
            rates.Should().Equal(expected);
        }

        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, options))
            trainer.Fit(data).History.Select(h => h.LearningRate).Should().AllBeEquivalentTo(0.004);
    }

    // A cosine shorter than the run stays at its minimum, here 0: a checkpoint with a rate of 0 must resume.
    [Fact]
    public void ACosineShorterThanTheRunHoldsItsMinimumOfZeroAndItsCheckpointResumes()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(directory, "short-cosine.ckpt");
        var options = new VaeTrainerOptions
        {
            Epochs = 4, BatchSize = 32, LearningRate = 0.004, Seed = 5, CheckpointPath = path, LearningRateSchedule = new CosineAnnealingSchedule { Epochs = 2 },
        };
        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, options))
            trainer.Fit(Binary(64, 64, seed: 1)).History.Select(h => h.LearningRate).Should().Equal(0.004, 0.002, 0, 0);

        using var resumed = VaeTrainer.Resume(path, o => o with { Epochs = 5 });
        using var resumedModel = resumed.Model;
        resumed.Fit(Binary(64, 64, seed: 1)).History.Select(h => h.LearningRate).Should().Equal(0.004, 0.002, 0, 0, 0);
    }

    // The numbers come from Fixtures/reduce_on_plateau.py (PyTorch 2.6's ReduceLROnPlateau).
    [Fact]
    public void PlateauFollowsPyTorch()
    {
        double[] losses = [1.0, 0.9, 0.895, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85];
        double[] pytorch = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.1];
        var schedule = new ReduceOnPlateauSchedule { Factor = 0.5, Patience = 1, Threshold = 0.01, Cooldown = 1, MinimumLearningRate = 0.1 };
        var state = new PlateauState(1.0, double.PositiveInfinity, 0, 0);
        var rates = new List<double>();
        foreach (var loss in losses)
        {
            state = schedule.After(state, loss);
            rates.Add(state.LearningRate);
        }
        rates.Should().Equal(pytorch);
    }

    // The plateau schedule is cancelled once with a bad epoch counted (epoch 3) and once in its cooldown (epoch 4), so
    // that each part of its state must survive the checkpoint.
    public static TheoryData<string, bool, int> Resumable => new()
    {
        { "cosine", true, 3 },
        { "cosine", false, 3 },
        { "plateau", true, 3 },
        { "plateau", false, 3 },
        { "plateau", true, 4 },
        { "plateau", false, 4 },
    };

    // Cancelled in the middle of an epoch and resumed from the checkpoint: the same weights and history as the
    // uninterrupted run, with weight decay on and the rate changing.
    [Theory]
    [MemberData(nameof(Resumable))]
    public void AScheduleCancelledMidRunResumesBitForBit(string kind, bool fused, int cancelledEpoch)
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 42); // 7 batches of 32
        var validation = Binary(64, 64, seed: 43);
        LearningRateSchedule schedule = kind == "cosine"
            ? new CosineAnnealingSchedule { MinimumLearningRate = 1e-4 }
            // A threshold no epoch after the first beats: the rate halves after epoch 3 (two bad epochs), epoch 4 is
            // cooldown, and epoch 6 would halve it again.
            : new ReduceOnPlateauSchedule { Factor = 0.5, Patience = 1, Threshold = 0.9, Cooldown = 1 };
        var options = new VaeTrainerOptions
        {
            Epochs = 6, BatchSize = 32, LearningRate = 3e-3, Seed = 5, WeightDecay = 0.05, LearningRateSchedule = schedule, UseFusedCpuKernels = fused,
        };

        using var straight = SmallModel();
        IReadOnlyList<EpochSummary> straightHistory;
        using (var trainer = new VaeTrainer(straight, options))
            straightHistory = trainer.Fit(data, validation).History;
        straightHistory.Select(h => h.LearningRate).Distinct().Count().Should().BeGreaterThan(1, "the schedule must change the rate");

        var path = Path.Combine(directory, $"{kind}-{fused}-{cancelledEpoch}.ckpt");
        using var cancellation = new CancellationTokenSource();
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Epoch == cancelledEpoch && p.Batch == 4 && p.CompletedEpoch is null) cancellation.Cancel();
        });
        using (var interrupted = SmallModel())
        using (var trainer = new VaeTrainer(interrupted, options with { CheckpointPath = path }))
            FluentActions.Invoking(() => trainer.Fit(data, validation, progress, cancellation.Token)).Should().Throw<OperationCanceledException>();

        using var resumedTrainer = VaeTrainer.Resume(path);
        resumedTrainer.Options.LearningRateSchedule.Should().Be(schedule);
        resumedTrainer.Options.WeightDecay.Should().Be(0.05);
        var history = resumedTrainer.Fit(data, validation).History;
        using var resumed = resumedTrainer.Model;
        history.Select(h => (h.Train, h.Validation, h.LearningRate, h.Beta, h.IsBest))
            .Should().Equal(straightHistory.Select(h => (h.Train, h.Validation, h.LearningRate, h.Beta, h.IsBest)));
        SameWeights(resumed, Weights(straight)).Should().BeTrue();
    }

    [Fact]
    public void APlateauScheduleWithoutValidationDataIsRefused()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, LearningRateSchedule = new ReduceOnPlateauSchedule() });

        FluentActions.Invoking(() => trainer.Fit(Binary(40, 64, seed: 1))).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("ReduceOnPlateauSchedule").And.Contain("validation");
    }

    public static TheoryData<VaeTrainerOptions, string> BadOptions => new()
    {
        { new VaeTrainerOptions { WeightDecay = -0.1 }, "WeightDecay" },
        { new VaeTrainerOptions { WeightDecay = double.NaN }, "WeightDecay" },
        { new VaeTrainerOptions { LearningRateSchedule = new StepLearningRateSchedule { StepEpochs = 0 } }, "StepLearningRateSchedule.StepEpochs" },
        { new VaeTrainerOptions { LearningRateSchedule = new StepLearningRateSchedule { Gamma = 1.5 } }, "StepLearningRateSchedule.Gamma" },
        { new VaeTrainerOptions { LearningRateSchedule = new CosineAnnealingSchedule { Epochs = 0 } }, "CosineAnnealingSchedule.Epochs" },
        { new VaeTrainerOptions { LearningRateSchedule = new CosineAnnealingSchedule { MinimumLearningRate = -1 } }, "CosineAnnealingSchedule.MinimumLearningRate" },
        { new VaeTrainerOptions { LearningRateSchedule = new ReduceOnPlateauSchedule { Factor = 1 } }, "ReduceOnPlateauSchedule.Factor" },
        { new VaeTrainerOptions { LearningRateSchedule = new ReduceOnPlateauSchedule { Patience = -1 } }, "ReduceOnPlateauSchedule.Patience" },
        { new VaeTrainerOptions { LearningRateSchedule = new ReduceOnPlateauSchedule { Threshold = 1 } }, "ReduceOnPlateauSchedule.Threshold" },
        { new VaeTrainerOptions { LearningRateSchedule = new ReduceOnPlateauSchedule { Cooldown = -2 } }, "ReduceOnPlateauSchedule.Cooldown" },
        { new VaeTrainerOptions { Callbacks = [null!] }, "Callbacks" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void AnOutOfRangeOptionIsRefusedByName(VaeTrainerOptions options, string name)
    {
        FluentActions.Invoking(options.Validate).Should().Throw<ArgumentException>().Which.Message.Should().Contain(name);
    }
}
