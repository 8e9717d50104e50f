using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;
using Vae.Samples.Tests;

namespace Vae.Core.Tests;

/// <summary>The KL weight of every training step, whatever the data source.</summary>
public sealed class KlWarmUpTests
{
    private static VaeTrainerOptions WarmUp(int epochs) =>
        new() { Epochs = epochs, BatchSize = 32, LearningRate = 3e-3, Seed = 5, KlWarmupEpochs = 2 };

    // Four batches per epoch and a warm-up of two epochs: beta rises by 1/8 a step and stays at 1 from step 8 on.
    private static readonly double[] Expected = [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1, 1, 1, 1, 1];

    [Fact]
    public void TheScheduleRisesLinearlyToBetaAndStaysThere()
    {
        var schedule = new KlSchedule(2.0, 4);
        Enumerable.Range(0, 7).Select(step => schedule.At(step)).Should().Equal(0.5, 1.0, 1.5, 2.0, 2.0, 2.0, 2.0);
        new KlSchedule(0.5, 0).At(0).Should().Be(0.5);
    }

    [Fact]
    public void TheScheduleCountsEpochsInBatchesAndRefusesAnUnknownCount()
    {
        var options = new VaeTrainerOptions { Beta = 1, KlWarmupEpochs = 3 };
        KlSchedule.For(options, 5).Should().Be(new KlSchedule(1, 15));
        KlSchedule.For(options with { KlWarmupEpochs = 0, KlWarmupSteps = 7 }, null).Should().Be(new KlSchedule(1, 7));
        KlSchedule.For(options with { KlWarmupEpochs = 0 }, null).Should().Be(new KlSchedule(1, 0));
        var unknown = () => KlSchedule.For(options, null);
        unknown.Should().Throw<ArgumentException>().Where(e => e.Message.Contains("KlWarmupSteps") && e.Message.Contains("KlWarmupEpochs = 3"));
    }

    [Fact]
    public void BetaRisesStepByStepOverTheWarmUpForInMemoryData()
    {
        using var scope = NewDisposeScope();
        var data = Binary(128, 64, seed: 40);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, WarmUp(3));
        var betas = new List<double>();
        var history = trainer.Fit(data, null, Record(betas)).History;

        betas.Should().Equal(Expected, Close);
        history.Select(h => h.Beta).Should().Equal(0.5, 1.0, 1.0);
    }

    [Fact]
    public void BetaRisesStepByStepOverTheWarmUpForABatchSource()
    {
        using var scope = NewDisposeScope();
        var data = Binary(128, 64, seed: 41);
        var batches = Enumerable.Range(0, 4).Select(i => data.narrow(0, 32 * i, 32)).ToArray();
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, WarmUp(3));
        var betas = new List<double>();
        var history = trainer.Fit(_ => batches, null, Record(betas)).History;

        betas.Should().Equal(Expected, Close);
        history.Select(h => h.Beta).Should().Equal(0.5, 1.0, 1.0);
    }

    [Fact]
    public void ALazyBatchSourceWarmsUpOverTheStepsItIsGiven()
    {
        using var scope = NewDisposeScope();
        var data = Binary(128, 64, seed: 41);
        IEnumerable<Tensor> Lazy()
        {
            for (var i = 0; i < 4; i++) yield return data.narrow(0, 32 * i, 32);
        }
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, WarmUp(3) with { KlWarmupEpochs = 0, KlWarmupSteps = 8 });
        var betas = new List<double>();
        trainer.Fit(_ => Lazy(), null, Record(betas));
        betas.Should().Equal(Expected, Close);

        using var byEpochs = new VaeTrainer(model, WarmUp(3));
        var act = () => byEpochs.Fit(_ => Lazy());
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "batchesForEpoch" && e.Message.Contains("KlWarmupSteps"));
        byEpochs.CompletedEpochs.Should().Be(0);
    }

    [Fact]
    public void AResumedBatchSourceRunKeepsItsSchedule()
    {
        using var scope = NewDisposeScope();
        var data = Binary(128, 64, seed: 41);
        var batches = Enumerable.Range(0, 4).Select(i => data.narrow(0, 32 * i, 32)).ToArray();
        using var folder = new TempFolder();
        var path = folder.File("warmup.ckpt");
        using var model = SmallModel();
        using (var trainer = new VaeTrainer(model, WarmUp(1) with { CheckpointPath = path })) trainer.Fit(_ => batches);
        using var resumed = VaeTrainer.Resume(path, o => o with { Epochs = 3 });
        var betas = new List<double>();
        // A lazy source after the resume: the count is the one the run began with.
        resumed.Fit(_ => batches.Select(b => b).Where(_ => true), null, Record(betas));
        betas.Should().Equal(Expected.Skip(4), Close);
    }

    private static bool Close(double actual, double expected) => Math.Abs(actual - expected) < 1e-12;

    // Each step's beta, checked against the loss it produced: reconstruction + beta * KL.
    private static SyncProgress<TrainingProgress> Record(List<double> betas) => new(p =>
    {
        if (p.CompletedEpoch is not null) return;
        ((p.Loss - p.Reconstruction) / p.Kl).Should().BeApproximately(p.Beta, 1e-3);
        betas.Add(p.Beta);
    });
}
