using FluentAssertions;
using TorchSharp;
using Vae.Core.Tests.Data;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;
using Vae.Samples.Tests;

namespace Vae.Core.Tests;

/// <summary>
/// Features that meet in one model: a condition or a VampPrior with the network choices (dropout, layer norm,
/// activations), the continuous Bernoulli likelihood with networks of the caller's own, and the combinations the library
/// refuses (a condition or a VampPrior with custom networks; ONNX and the PyTorch tutorial layouts of models they cannot
/// describe).
/// </summary>
public sealed class FeatureCombinationTests
{
    private const int Features = 12;

    private static VariationalAutoencoder Custom(VaeOptions options) =>
        new(new Encoder(options with { Architecture = VaeArchitecture.Mlp }), new Decoder(options with { Architecture = VaeArchitecture.Mlp }), options);

    [Fact]
    public void ACustomModelRefusesAConditionNamingIt()
    {
        var options = new VaeOptions { InputSize = Features, HiddenSizes = [8], LatentSize = 2 };
        using var encoder = new Encoder(options);
        using var decoder = new Decoder(options);
        var act = () => new VariationalAutoencoder(encoder, decoder, options with { ConditionClasses = 3 });
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == nameof(VaeOptions.ConditionClasses) && e.Message.Contains("own encoder and decoder"));
        var size = () => new VariationalAutoencoder(encoder, decoder, options with { ConditionSize = 2 });
        size.Should().Throw<ArgumentException>().WithMessage("*ConditionSize*");
    }

    [Fact]
    public void ACustomModelRefusesAVampPriorNamingIt()
    {
        var options = new VaeOptions { InputSize = Features, HiddenSizes = [8], LatentSize = 2 };
        using var encoder = new Encoder(options);
        using var decoder = new Decoder(options);
        var act = () => new VariationalAutoencoder(encoder, decoder, options with { Prior = VaePrior.Vamp, PseudoInputs = 4 });
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == nameof(VaeOptions.Prior) && e.Message.Contains("built-in encoder"));
    }

    [Fact]
    public void ACustomModelWithAContinuousBernoulliLikelihoodDecodesToTheDistributionsMean()
    {
        manual_seed(3);
        var options = new VaeOptions { InputSize = Features, HiddenSizes = [8], LatentSize = 2, Likelihood = VaeLikelihood.ContinuousBernoulli };
        using var model = Custom(options);
        model.IsCustom.Should().BeTrue();
        using var scope = NewDisposeScope();
        var z = randn(5, 2);
        var decoded = model.Decode(z);
        using (no_grad())
        {
            var expected = ContinuousBernoulli.MeanUnchecked(model.LikelihoodParameters(z));
            TensorAssert.ToDoubles(decoded).Should().Equal(TensorAssert.ToDoubles(expected));
        }
        var data = rand(16, Features);
        var elbo = model.NegativeElbo(data);
        double.IsFinite(elbo.Loss.item<float>()).Should().BeTrue();
    }

    [Fact]
    public void AConditionalModelWithDropoutLayerNormAndSiLUTrainsAndSamplesAClass()
    {
        manual_seed(5);
        var options = new VaeOptions
        {
            InputSize = Features, HiddenSizes = [10, 6], LatentSize = 2, ConditionClasses = 3,
            InputDropout = 0.2, HiddenDropout = 0.1, LayerNormalization = true, Activation = VaeActivation.SiLU,
        };
        using var model = new VariationalAutoencoder(options);
        using var scope = NewDisposeScope();
        var rows = ConditionalData.Join(Binary(48, Features, seed: 2), tensor(Enumerable.Range(0, 48).Select(i => (long)(i % 3)).ToArray()), 3);
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 16 }))
        {
            trainer.UsesFusedCpuKernels.Should().BeFalse();
            var result = trainer.Fit(rows);
            result.Should().NotBeNull();
        }
        model.eval();
        var samples = model.Sample(4, label: 2);
        samples.shape.Should().Equal(4, Features);
        TensorAssert.ToDoubles(samples).Should().OnlyContain(v => v >= 0 && v <= 1);
        double.IsFinite(model.NegativeElboAtMean(rows)).Should().BeTrue();
        model.Evaluate(rows).Loss.Should().BeGreaterThan(0);
    }

    [Fact]
    public void InputDropoutNeverHidesTheCondition()
    {
        manual_seed(7);
        var options = new VaeOptions { InputSize = Features, HiddenSizes = [], LatentSize = 2, ConditionClasses = 2, InputDropout = 0.9 };
        using var model = new VariationalAutoencoder(options);
        model.train();
        using var scope = NewDisposeScope();
        // Zero features: whatever dropout does to them, only the condition moves the posterior mean.
        var features = zeros(64, Features);
        var first = ConditionalData.Join(features, zeros(64, dtype: ScalarType.Int64), 2);
        var second = ConditionalData.Join(features, ones(64, dtype: ScalarType.Int64), 2);
        var (meanFirst, _) = model.Encoder.forward(first);
        var (meanSecond, _) = model.Encoder.forward(second);
        // Were the condition dropped with probability 0.9, most rows would lose it and both means would coincide there.
        var differing = meanFirst.sub(meanSecond).abs().sum(1).gt(1e-6).sum().item<long>();
        differing.Should().Be(64);
    }

    [Fact]
    public void AConditionalConvolutionalModelRefusesImagesWithoutACondition()
    {
        var options = new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, ImageChannels = 1, ImageHeight = 8, ImageWidth = 8, ConvChannels = [2],
            HiddenSizes = [4], LatentSize = 2, ConditionClasses = 3,
        };
        using var model = new VariationalAutoencoder(options);
        using var scope = NewDisposeScope();
        var act = () => model.Encode(rand(2, 1, 8, 8));
        act.Should().Throw<ArgumentException>().WithMessage("*67*[2, 1, 8, 8]*");
        model.Encode(rand(2, 67)).shape.Should().Equal(2, 2);
    }

    [Fact]
    public void OnnxExportRefusesWhatItsGraphsCannotCompute()
    {
        using var conditional = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [4], LatentSize = 2, ConditionClasses = 3 });
        FluentActions.Invoking(() => OnnxExport.EncoderModel(conditional)).Should().Throw<ArgumentException>().WithMessage("*encoder*conditional*");
        FluentActions.Invoking(() => OnnxExport.DecoderModel(conditional)).Should().Throw<ArgumentException>().WithMessage("*decoder*conditional*");

        using var continuous = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [4], LatentSize = 2, Likelihood = VaeLikelihood.ContinuousBernoulli });
        FluentActions.Invoking(() => OnnxExport.DecoderModel(continuous)).Should().Throw<ArgumentException>().WithMessage("*continuous Bernoulli*");
        OnnxExport.EncoderModel(continuous).Should().NotBeEmpty("the encoder of a continuous Bernoulli model is an ordinary one");

        using var gelu = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [4], LatentSize = 2, Activation = VaeActivation.GELU });
        FluentActions.Invoking(() => OnnxExport.EncoderModel(gelu)).Should().Throw<ArgumentException>().WithMessage("*GELU*ReLU only*");

        using var custom = Custom(new VaeOptions { InputSize = Features, HiddenSizes = [4], LatentSize = 2 });
        FluentActions.Invoking(() => OnnxExport.DecoderModel(custom)).Should().Throw<ArgumentException>().WithMessage("*networks of your own*");

        // A VampPrior lives beside the networks: the graphs are still exact, and export.
        using var vamp = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [4], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = 3 });
        OnnxExport.DecoderModel(vamp).Should().NotBeEmpty();
    }

    [Fact]
    public void PyTorchTutorialLayoutRefusesAConditionalOrVampModelAndTheVaeLayoutRoundTripsThem()
    {
        using var folder = new TempFolder();
        foreach (var options in new[]
        {
            new VaeOptions { InputSize = Features, HiddenSizes = [4], LatentSize = 2, ConditionClasses = 3 },
            new VaeOptions { InputSize = Features, HiddenSizes = [4], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = 3, Likelihood = VaeLikelihood.ContinuousBernoulli },
        })
        {
            manual_seed(9);
            using var model = new VariationalAutoencoder(options);
            var path = Path.Combine(folder.Path, "model.safetensors");
            FluentActions.Invoking(() => PyTorchInterop.Export(model, path, PyTorchLayout.Tutorial))
                .Should().Throw<ArgumentException>().WithMessage("*Tutorial layout describes an unconditional MLP*");
            PyTorchInterop.Export(model, path);
            using var again = PyTorchInterop.Import(path, new PyTorchImportOptions { Architecture = options, Layout = PyTorchLayout.Vae });
            again.Options.Should().Be(options);
            var expected = model.state_dict();
            foreach (var (name, tensor) in again.state_dict())
                TensorAssert.ToDoubles(tensor).Should().Equal(TensorAssert.ToDoubles(expected[name]), name);
        }
    }
}
