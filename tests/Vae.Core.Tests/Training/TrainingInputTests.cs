using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;
using Vae.Samples.Tests;

namespace Vae.Core.Tests;

/// <summary>Data the trainer and the evaluation take or refuse: floating types other than the model's, empty tensors.</summary>
public sealed class TrainingInputTests
{
    private static VaeTrainerOptions Quick => new() { Epochs = 2, BatchSize = 32, LearningRate = 3e-3, Seed = 5, KlWarmupEpochs = 1, MaxGradientNorm = 50 };

    [Fact]
    public void AFloat64ModelTrainsOnFloat32Data()
    {
        using var scope = NewDisposeScope();
        var data = Binary(128, 64, seed: 46);
        using var model = SmallModel();
        model.to(ScalarType.Float64);
        using var trainer = new VaeTrainer(model, Quick with { Epochs = 4 });

        var history = trainer.Fit(data, data).History;

        trainer.UsesFusedCpuKernels.Should().BeFalse();
        history.Select(h => h.Validation!.Loss).Should().BeInDescendingOrder();
        model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float64 && p.isfinite().all().item<bool>());
    }

    [Fact]
    public void AFloat64RunResumesFromItsCheckpointBitForBit()
    {
        using var scope = NewDisposeScope();
        var data = Binary(100, 64, seed: 50);
        using var folder = new TempFolder();
        var path = folder.File("float64.ckpt");
        VariationalAutoencoder Float64Model()
        {
            var model = SmallModel();
            model.to(ScalarType.Float64);
            return model;
        }
        using var straight = Float64Model();
        using (var trainer = new VaeTrainer(straight, Quick with { Epochs = 3 })) trainer.Fit(data, data);

        using (var first = Float64Model())
        using (var trainer = new VaeTrainer(first, Quick with { Epochs = 1, CheckpointPath = path })) trainer.Fit(data, data);
        using var resumed = Float64Model();
        using (var trainer = new VaeTrainer(resumed, Quick with { Epochs = 3 }))
        {
            trainer.LoadCheckpoint(path);
            trainer.Fit(data, data);
        }

        SameWeights(resumed, Weights(straight)).Should().BeTrue();
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void DataOfAnotherFloatingTypeIsConvertedToTheModels(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = Binary(96, 64, seed: 47); // 0 and 1: exact in every floating type
        using var reference = SmallModel();
        using (var trainer = new VaeTrainer(reference, Quick)) trainer.Fit(data, data);

        using var fromTensor = SmallModel();
        using (var trainer = new VaeTrainer(fromTensor, Quick)) trainer.Fit(data.to_type(dtype), data.to_type(dtype));
        SameWeights(fromTensor, Weights(reference)).Should().BeTrue();

        var batches = Enumerable.Range(0, 3).Select(i => data.narrow(0, 32 * i, 32)).ToArray();
        using var fromSource = SmallModel();
        using (var trainer = new VaeTrainer(fromSource, Quick)) trainer.Fit(_ => batches);
        using var fromConvertedSource = SmallModel();
        using (var trainer = new VaeTrainer(fromConvertedSource, Quick)) trainer.Fit(_ => batches.Select(b => b.to_type(dtype)).ToArray());
        SameWeights(fromConvertedSource, Weights(fromSource)).Should().BeTrue();
    }

    [Fact]
    public void AnEmptyBatchFromABatchSourceIsRefusedNamingEpochAndBatch()
    {
        using var scope = NewDisposeScope();
        var data = Binary(32, 64, seed: 48);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick);

        var act = () => trainer.Fit(epoch => epoch == 2 ? [data, zeros(0, 64)] : [data]);

        act.Should().Throw<ArgumentException>().Where(e => e.Message.Contains("epoch 2") && e.Message.Contains("batch 2") && e.Message.Contains("[0, 64]"));
        trainer.CompletedEpochs.Should().Be(1);
    }

    [Fact]
    public void EvaluatingNoSamplesIsRefused()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        var act = () => model.Evaluate(zeros(0, 64));
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "data" && e.Message.Contains("[0, 64]"));
    }

    [Fact]
    public void EvaluatingFloat64DataGivesTheFiguresOfFloat32Data()
    {
        using var scope = NewDisposeScope();
        var data = Binary(50, 64, seed: 49);
        using var model = SmallModel();
        var expected = model.Evaluate(data, seed: 3);
        model.Evaluate(data.to_type(ScalarType.Float64), seed: 3).Should().Be(expected);
    }
}
