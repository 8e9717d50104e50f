using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests.Priors;

/// <summary>The built-in prior types and the log-joint that every objective and score is made of.</summary>
public sealed class BuiltInPriorTests
{
    [Fact]
    public void TheStandardNormalHasItsDensityItsClosedFormKlAndNoParameters()
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 6, HiddenSizes = [4], LatentSize = 3 });
        var prior = model.Prior.Should().BeOfType<StandardNormalPrior>().Subject;
        prior.Parameters.Should().BeNull();
        model.state_dict().Keys.Should().NotContain(key => key.StartsWith("prior.", StringComparison.Ordinal));
        var generator = new Generator(5);
        var z = randn([4, 3], generator: generator);
        var logVariance = randn([4, 3], generator: generator);
        TensorAssert.Identical(prior.LogDensity(z), GaussianDensity.StandardLogDensity(z)).Should().BeTrue();
        prior.HasClosedFormKl.Should().BeTrue();
        TensorAssert.Identical(prior.KlPerDimension(z, logVariance)!.sum(1), ElboLoss.KlDivergence(z, logVariance, ElboReduction.None)).Should().BeTrue();
        TensorAssert.Identical(prior.Sample(7, CPU, new Generator(9)), randn([7, 3], generator: new Generator(9))).Should().BeTrue();
    }

    [Fact]
    public void TheVampPriorHoldsItsPseudoInputsAndEstimatesItsKl()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 6, HiddenSizes = [4], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = 3 });
        var prior = model.Prior.Should().BeOfType<VampPriorDistribution>().Subject;
        prior.Parameters.Should().BeSameAs(prior.Module);
        model.state_dict()["prior.pseudoInputs"].shape.Should().Equal(3, 6);
        prior.HasClosedFormKl.Should().BeFalse();
        var z = randn([4, 2], generator: new Generator(2));
        prior.KlPerDimension(z, z).Should().BeNull();
        TensorAssert.Identical(prior.KlEstimate(z, z, z), LogJoint.PosteriorLogDensity(z, z, z).sub(prior.LogDensity(z))).Should().BeTrue();
    }

    [Theory]
    [InlineData(VaePrior.Standard)]
    [InlineData(VaePrior.Vamp)]
    public void TheLogJointGivesTheElboAndTheScoresOfEveryCaller(VaePrior option)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 6, HiddenSizes = [4], LatentSize = 2, Prior = option, PseudoInputs = 3 });
        model.eval();
        var data = SyntheticData.Binary(10, 6, seed: 4);
        using var noGrad = no_grad();
        var atMean = LogJoint.NegativeElboAtMean(model, data);
        model.NegativeElboAtMean(data).Should().BeApproximately(atMean.to_type(ScalarType.Float64).mean().item<double>(), 1e-5);
        using (var detector = AnomalyDetector.Fit(model, data))
            detector.Score(data).Should().Equal(TensorAssert.ToDoubles(atMean));

        var output = model.Forward(data, new Generator(6));
        var terms = ElboLoss.NegativeElbo(output, data, ElboReduction.None);
        TensorAssert.Identical(terms.Reconstruction, LogJoint.NegativeLogLikelihood(model, output.Z, data).sum(1)).Should().BeTrue();
        TensorAssert.Identical(terms.Kl, LogJoint.Kl(model.Prior, output.Z, output.Mean, output.LogVariance, Reduction.None)).Should().BeTrue();
    }
}
