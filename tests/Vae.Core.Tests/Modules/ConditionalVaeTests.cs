using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

public sealed class ConditionalVaeTests : IDisposable
{
    private const int Features = 16;
    private const int Classes = 3;
    private readonly string directory = Directory.CreateTempSubdirectory("vae-cvae-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    // Class k lights up features 5k to 5k + 4 (with a little noise); a model that ignores its condition cannot tell the
    // classes apart when it samples from the prior.
    private static (Tensor Images, Tensor Labels) Striped(int count, int seed)
    {
        using var generator = new Generator((ulong)seed);
        var labels = randint(0, Classes, [count], generator: generator);
        var prototypes = zeros(Classes, Features, dtype: ScalarType.Bool);
        for (var k = 0; k < Classes; k++) prototypes[k].narrow(0, 5 * k, 5).fill_(true);
        var images = prototypes.index_select(0, labels);
        var flips = rand([count, Features], generator: generator).lt(0.03);
        return (images.logical_xor(flips).to_type(ScalarType.Float32), labels);
    }

    [Fact]
    public void TheEncoderSeesTheConditionAfterTheFeaturesAndTheDecoderAfterTheCode()
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [12], LatentSize = 2, ConditionClasses = Classes });
        var names = model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        names["encoder.hidden.fc1.weight"].Should().Equal(12, Features + Classes);
        names["decoder.layers.fc1.weight"].Should().Equal(12, 2 + Classes);
        model.Options.ToString().Should().Be("16-12-2 given 3 classes");

        using var noGrad = no_grad();
        var z = randn(4, 2, generator: new Generator(1));
        var asZero = model.Decode(z, ConditionalData.OneHot(tensor(new long[] { 0 }), Classes).squeeze(0));
        var asTwo = model.Decode(z, ConditionalData.OneHot(tensor(new long[] { 2, 2, 2, 2 }), Classes));
        (asZero - asTwo).abs().max().item<float>().Should().BeGreaterThan(1e-4f, "the decoder reads the condition");
    }

    [Fact]
    public void TrainedOnLabelledRowsItSamplesTheClassAskedFor()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Striped(600, seed: 2);
        var rows = ConditionalData.Join(images, labels, Classes);
        rows.shape.Should().Equal(600, Features + Classes);
        manual_seed(4);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [32], LatentSize = 2, ConditionClasses = Classes });
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 80, BatchSize = 64 }))
        {
            trainer.UsesFusedCpuKernels.Should().BeFalse();
            trainer.Fit(rows, validation: rows.narrow(0, 0, 100));
        }

        for (var k = 0; k < Classes; k++)
        {
            var samples = model.Sample(200, label: k, generator: new Generator(5));
            var stripes = stack(Enumerable.Range(0, Classes).Select(j => samples.narrow(1, 5 * j, 5).mean([1])).ToArray(), 1);
            var recognised = stripes.argmax(1).eq(k).to_type(ScalarType.Float32).mean().item<float>();
            recognised.Should().BeGreaterThan(0.95f, $"samples asked for class {k}");
        }

        // Evaluation, importance sampling, anomaly scores and reconstruction read the condition from the rows too.
        var metrics = model.Evaluate(rows);
        var estimate = LikelihoodEstimator.Estimate(model, rows, 20, new Generator(1));
        estimate.MeanNegativeLogLikelihood.Should().BeLessThan(metrics.Loss + 0.5).And.BeGreaterThan(0);
        var detector = new AnomalyDetector(model, threshold: 100);
        detector.Score(rows.narrow(0, 0, 5)).Should().HaveCount(5).And.OnlyContain(s => double.IsFinite(s));
        model.Reconstruct(rows.narrow(0, 0, 5)).shape.Should().Equal(5, Features);
    }

    [Fact]
    public void TheIwaeObjectiveTrainsAConditionalModel()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Striped(128, seed: 3);
        manual_seed(4);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [8], LatentSize = 2, ConditionClasses = Classes });
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, Objective = VaeObjective.Iwae, ImportanceSamples = 3 });
        var result = trainer.Fit(ConditionalData.Join(images, labels, Classes));
        result.History.Should().HaveCount(2).And.OnlyContain(h => double.IsFinite(h.Train.Loss));
    }

    [Fact]
    public void AConvolutionalModelTakesARealValuedCondition()
    {
        using var scope = NewDisposeScope();
        var options = new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, InputSize = 64, ImageHeight = 8, ImageWidth = 8, ConvChannels = [3],
            HiddenSizes = [], LatentSize = 2, ConditionSize = 2,
        };
        using var model = new VariationalAutoencoder(options);
        var rows = ConditionalData.Join(rand(5, 64, generator: new Generator(1)), randn(5, 2, generator: new Generator(2)));
        var output = model.Forward(rows, new Generator(3));
        output.DecoderOutput.shape.Should().Equal(5, 64);
        model.NegativeElbo(rows).Loss.item<float>().Should().BeGreaterThan(0);
        model.Sample(3, tensor(new[] { 0.5f, -1f })).shape.Should().Equal(3, 64);
    }

    [Fact]
    public void TheFileRecordsTheConditioningAndOldArchitecturesReadAsUnconditional()
    {
        using var scope = NewDisposeScope();
        var options = new VaeOptions { InputSize = Features, HiddenSizes = [6], LatentSize = 2, ConditionClasses = Classes };
        var path = Path.Combine(directory, "cvae.vae");
        manual_seed(1);
        using (var model = new VariationalAutoencoder(options))
        {
            model.Save(path);
            using var loaded = VariationalAutoencoder.Load(path);
            loaded.Options.Should().Be(options);
            TensorAssert.Identical(loaded.Sample(4, 1, new Generator(2)), model.Sample(4, 1, new Generator(2))).Should().BeTrue();
        }

        // Architecture JSON written before conditioning existed has neither field.
        var old = JsonSerializer.Deserialize<VaeOptions>("""{"InputSize":9,"HiddenSizes":[4],"LatentSize":2}""")!;
        old.ConditionClasses.Should().Be(0);
        old.ConditionSize.Should().Be(0);
        old.Should().Be(new VaeOptions { InputSize = 9, HiddenSizes = [4], LatentSize = 2 });
    }

    [Fact]
    public void MistakesAreExplained()
    {
        using var scope = NewDisposeScope();
        using var conditional = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [], LatentSize = 2, ConditionClasses = Classes });
        using var plain = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [], LatentSize = 2 });

        ((Action)(() => conditional.Sample(2))).Should().Throw<ArgumentException>().WithMessage("*conditional: give the condition*");
        ((Action)(() => conditional.Decode(zeros(2, 2)))).Should().Throw<ArgumentException>().WithMessage("*conditional: give the condition*");
        ((Action)(() => plain.Sample(2, label: 1))).Should().Throw<ArgumentException>().WithMessage("*not conditioned on classes*");
        ((Action)(() => conditional.Sample(2, label: 3))).Should().Throw<ArgumentException>().WithMessage("labels[0] is 3, outside 0-2 for 3 classes.*");
        ((Action)(() => conditional.Sample(2, zeros(4)))).Should().Throw<ArgumentException>().WithMessage("condition must have shape [3] or [2, 3]*[4]*");
        ((Action)(() => conditional.NegativeElbo(zeros(2, Features)))).Should().Throw<ArgumentException>().WithMessage($"*{Features + Classes}*");
        ((Action)(() => ConditionalData.OneHot(tensor(new[] { 0.5f }), 2))).Should().Throw<ArgumentException>().WithMessage("labels must be one-dimensional integers*");
        ((Action)(() => new VaeOptions { ConditionClasses = 2, ConditionSize = 1 }.Validate())).Should().Throw<ArgumentException>().WithMessage("Set at most one of ConditionClasses*");
        ((Action)(() => new VaeOptions { ConditionSize = -1 }.Validate())).Should().Throw<ArgumentException>().WithMessage("ConditionSize must not be negative*");
    }
}
