using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Xunit;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

public class VariationalAutoencoderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(128)]
    public void EveryModuleHasTheExpectedShapes(int batch)
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalAutoencoder();
        var x = rand(batch, 784);

        var (mean, logVar) = model.Encoder.forward(x);
        mean.shape.Should().Equal(batch, 20);
        logVar.shape.Should().Equal(batch, 20);
        model.Decoder.forward(mean).shape.Should().Equal(batch, 784);

        var output = model.forward(x);
        output.DecoderOutput.shape.Should().Equal(batch, 784);
        output.Z.shape.Should().Equal(batch, 20);

        model.Encode(x).shape.Should().Equal(batch, 20);
        model.Reconstruct(x).shape.Should().Equal(batch, 784);
        var samples = model.Sample(batch);
        samples.shape.Should().Equal(batch, 784);
        samples.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        samples.max().item<float>().Should().BeLessThanOrEqualTo(1f);
        model.NegativeElbo(x, reduction: nn.Reduction.None).Loss.shape.Should().Equal(batch);
    }

    [Fact]
    public void CustomArchitecturesBuildTheLayersTheyDescribe()
    {
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 10, HiddenSizes = [8, 6], LatentSize = 2 });
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        // Linear weights are [out, in]: 10 -> 8 -> 6 -> (2, 2) and back 2 -> 6 -> 8 -> 10.
        shapes.Values.Where(s => s.Length == 2).Select(s => (s[1], s[0])).Should().BeEquivalentTo(
            new[] { (10L, 8L), (8L, 6L), (6L, 2L), (6L, 2L), (2L, 6L), (6L, 8L), (8L, 10L) });
        model.Options.ToString().Should().Be("10-8-6-2");
    }

    [Fact]
    public void TheSameSeedGivesTheSameWeightsAndOutputs()
    {
        using var scope = NewDisposeScope();
        var x = rand(16, 784);
        float Run(int seed)
        {
            manual_seed(seed);
            using var model = new VariationalAutoencoder();
            using var generator = new Generator(99);
            return model.NegativeElbo(x, generator: generator).Loss.item<float>();
        }

        Run(1).Should().Be(Run(1));
        Run(1).Should().NotBe(Run(2));
    }

    [Fact]
    public void LossOfAnUntrainedModelIsAboutDLog2()
    {
        // Fresh weights give logits near 0, i.e. p = 0.5 per pixel: 784 * log 2 = 543 nats, plus a small KL.
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = new VariationalAutoencoder();
        var x = rand(64, 784).round();
        var terms = model.NegativeElbo(x);
        terms.Reconstruction.item<float>().Should().BeInRange(520f, 570f);
        terms.Kl.item<float>().Should().BeInRange(0f, 5f);
    }

    [Fact]
    public void WrongFeatureCountAndRankAreRejectedWithTheShapeSeen()
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalAutoencoder();

        var features = () => model.forward(zeros(3, 100));
        features.Should().Throw<ArgumentException>().Where(e =>
            e.ParamName == "input" && e.Message.Contains("[3, 100]") && e.Message.Contains("784"));

        var rank = () => model.forward(zeros(3, 28, 28));
        rank.Should().Throw<ArgumentException>().Where(e => e.ParamName == "input" && e.Message.Contains("[3, 28, 28]"));

        var latent = () => model.Decode(zeros(3, 5));
        latent.Should().Throw<ArgumentException>().Where(e => e.ParamName == "latent" && e.Message.Contains("[3, 5]"));
    }

    [Fact]
    public void NaNAndOutOfRangeInputsAreRejectedByTheLoss()
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalAutoencoder();
        var x = rand(4, 784);
        x[2, 17] = tensor(float.NaN);
        var nan = () => model.NegativeElbo(x);
        nan.Should().Throw<ArgumentException>().Where(e => e.ParamName == "input" && e.Message.Contains("NaN"));

        var range = () => model.NegativeElbo(rand(4, 784) * 255);
        range.Should().Throw<ArgumentException>().Where(e => e.ParamName == "input" && e.Message.Contains("[0, 1]"));

        var beta = () => model.NegativeElbo(rand(4, 784), beta: -1);
        beta.Should().Throw<ArgumentException>().Where(e => e.ParamName == "beta");
    }

    [Theory]
    [InlineData(0, 20, "InputSize")]
    [InlineData(784, 0, "LatentSize")]
    [InlineData(784, -3, "LatentSize")]
    public void NonPositiveSizesAreRejected(int input, int latent, string parameter)
    {
        var act = () => new VariationalAutoencoder(new VaeOptions { InputSize = input, LatentSize = latent });
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == parameter);

        var hidden = () => new Encoder(new VaeOptions { HiddenSizes = [400, 0] });
        hidden.Should().Throw<ArgumentException>().Where(e => e.ParamName == "HiddenSizes" && e.Message.Contains("[1]"));
    }

    [Fact]
    public void AThousandLossStepsLeaveTheLiveTensorCountFlat()
    {
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 64, HiddenSizes = [32], LatentSize = 4 });
        using var x = rand(8, 64);

        void Step()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.NegativeElbo(x).Loss.backward();
        }

        void Helpers()
        {
            // Without a caller's scope: only the returned tensors are the caller's to dispose.
            using var kl = ElboLoss.KlDivergence(x, x, nn.Reduction.Sum);
            using var bce = ElboLoss.BinaryCrossEntropyWithLogits(x, x, nn.Reduction.Sum);
            using var encoded = model.Encode(x);
            using var reconstructed = model.Reconstruct(x);
            using var sampled = model.Sample(3);
        }

        Step(); // the first backward creates the gradient tensors, which live as long as the model
        Helpers();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 1000; i++)
        {
            Step();
            Helpers();
        }
        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before);
    }
}
