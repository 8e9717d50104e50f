using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests;

/// <summary>The library's reductions by their own names: PerSample is the old Reduction.Mean, ElementMean TorchSharp's.</summary>
public sealed class ElboReductionTests
{
    private static (Tensor Probabilities, Tensor Target) Pixels()
    {
        using var generator = new Generator(3);
        return (rand([8, 784], generator: generator).clamp(0.01, 0.99), rand([8, 784], generator: generator));
    }

    [Fact]
    public void PerSampleSumAndNoneAreTheOldMeanSumAndNone()
    {
        using var scope = NewDisposeScope();
        var (p, t) = Pixels();
        foreach (var (named, old) in new[] { (ElboReduction.PerSample, Reduction.Mean), (ElboReduction.Sum, Reduction.Sum), (ElboReduction.None, Reduction.None) })
        {
            TensorAssert.Identical(ElboLoss.BinaryCrossEntropy(p, t, named), ElboLoss.BinaryCrossEntropy(p, t, old)).Should().BeTrue();
            TensorAssert.Identical(ElboLoss.BinaryCrossEntropyWithLogits(p, t, named), ElboLoss.BinaryCrossEntropyWithLogits(p, t, old)).Should().BeTrue();
            TensorAssert.Identical(ElboLoss.KlDivergence(p, t, named), ElboLoss.KlDivergence(p, t, old)).Should().BeTrue();
            TensorAssert.Identical(ElboLoss.GaussianNegativeLogLikelihood(p, t, 0.5, named), ElboLoss.GaussianNegativeLogLikelihood(p, t, 0.5, old)).Should().BeTrue();
        }
    }

    [Fact]
    public void ElementMeanIsTorchSharpsMeanAndPerSampleOver784()
    {
        using var scope = NewDisposeScope();
        var (p, t) = Pixels();
        var torchMean = functional.binary_cross_entropy(p, t).item<float>();
        var elementMean = ElboLoss.BinaryCrossEntropy(p, t, ElboReduction.ElementMean).item<float>();
        var perSample = ElboLoss.BinaryCrossEntropy(p, t, ElboReduction.PerSample).item<float>();
        elementMean.Should().BeApproximately(torchMean, 1e-6f);
        (perSample / 784).Should().BeApproximately(elementMean, 1e-5f);
    }

    [Fact]
    public void TheElboHasNoElementMeanAndItsPerSampleIsTheOldDefault()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 784, HiddenSizes = [16], LatentSize = 2 });
        var (_, t) = Pixels();
        using var g1 = new Generator(9);
        using var g2 = new Generator(9);
        var named = model.NegativeElbo(t, ElboReduction.PerSample, generator: g1);
        var old = model.NegativeElbo(t, generator: g2);
        TensorAssert.Identical(named.Loss, old.Loss).Should().BeTrue();
        var elementMean = () => model.NegativeElbo(t, ElboReduction.ElementMean);
        elementMean.Should().Throw<ArgumentException>().WithMessage("*PerSample*");
    }
}
