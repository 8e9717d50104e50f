using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

public sealed class VampPriorTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-vamp-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static VariationalAutoencoder Model(int pseudoInputs = 5, int seed = 3)
    {
        manual_seed(seed);
        var model = new VariationalAutoencoder(new VaeOptions { InputSize = 6, HiddenSizes = [5], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = pseudoInputs });
        model.to(ScalarType.Float64);
        return model;
    }

    // log p(z) = log (1/K) sum_k N(z; mu_k, sigma_k^2), with the components from the encoder at the clipped pseudo-inputs,
    // summed term by term in double precision.
    [Fact]
    public void TheLogDensityIsTheMixtureOfTheEncodersPosteriorsAtThePseudoInputs()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        model.state_dict().Keys.Should().Contain("prior.pseudoInputs");
        model.Options.ToString().Should().Be("6-5-2 with a VampPrior of 5");
        var z = randn([2, 3, 2], dtype: ScalarType.Float64, generator: new Generator(1)).mul(2);
        var actual = TensorAssert.ToDoubles(model.Prior.LogDensity(z));

        using var noGrad = no_grad();
        var (mean, logVariance) = model.Encoder.forward(((VampPriorDistribution)model.Prior).Module.PseudoInputs.clamp(0, 1));
        var means = TensorAssert.ToDoubles(mean);
        var logVariances = TensorAssert.ToDoubles(logVariance);
        var codes = TensorAssert.ToDoubles(z);
        for (var n = 0; n < 6; n++)
        {
            var density = 0.0;
            for (var k = 0; k < 5; k++)
            {
                var log = 0.0;
                for (var j = 0; j < 2; j++)
                {
                    var variance = Math.Exp(logVariances[k * 2 + j]);
                    var d = codes[n * 2 + j] - means[k * 2 + j];
                    log += -0.5 * (d * d / variance + Math.Log(2 * Math.PI * variance));
                }
                density += Math.Exp(log) / 5;
            }
            actual[n].Should().BeApproximately(Math.Log(density), 1e-10, $"code {n}");
        }
    }

    // With one pseudo-input the prior is one Gaussian, so the estimate log q(z|x) - log p(z) averages to the closed-form
    // KL between two Gaussians.
    [Fact]
    public void WithOnePseudoInputTheKlEstimateAveragesToTheGaussianKl()
    {
        using var scope = NewDisposeScope();
        using var model = Model(pseudoInputs: 1);
        using var noGrad = no_grad();
        var x = rand([1, 6], dtype: ScalarType.Float64, generator: new Generator(2));
        var (mean, logVariance) = model.Encoder.forward(x);
        var (priorMean, priorLogVariance) = model.Encoder.forward(((VampPriorDistribution)model.Prior).Module.PseudoInputs.clamp(0, 1));
        var draws = 200_000;
        var z = mean.add(randn([draws, 2], dtype: ScalarType.Float64, generator: new Generator(4)).mul(logVariance.mul(0.5).exp()));
        var estimates = model.Prior.KlEstimate(z, mean.expand(draws, 2), logVariance.expand(draws, 2));

        // KL(N(m, v) || N(m0, v0)) = 0.5 sum (log v0 - log v + (v + (m - m0)^2) / v0 - 1)
        var closedForm = priorLogVariance.sub(logVariance).add(logVariance.exp().add(mean.sub(priorMean).square()).div(priorLogVariance.exp())).sub(1).sum().mul(0.5).item<double>();
        var average = estimates.mean().item<double>();
        var standardError = estimates.std().item<double>() / Math.Sqrt(draws);
        average.Should().BeApproximately(closedForm, 4 * standardError + 1e-9);
    }

    // The importance-weighted estimate with one sample is the ELBO with the same z: both read the learned prior.
    [Fact]
    public void TheLikelihoodEstimatorAndTheElboUseTheLearnedPrior()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var x = Binary(7, 6, seed: 2).to_type(ScalarType.Float64);
        var elbo = TensorAssert.ToDoubles(model.NegativeElbo(x, reduction: Reduction.None, generator: new Generator(9)).Loss);
        var oneSample = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(model, x, 1, new Generator(9)));
        for (var n = 0; n < 7; n++) oneSample[n].Should().BeApproximately(-elbo[n], 1e-9);
    }

    [Fact]
    public void AVampPriorModelTrainsSavesLoadsAndSamples()
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 12, seed: 5);
        manual_seed(1);
        var options = new VaeOptions { InputSize = 12, HiddenSizes = [10], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = 8 };
        using var model = new VariationalAutoencoder(options);
        var before = TensorAssert.ToDoubles(((VampPriorDistribution)model.Prior).Module.PseudoInputs);
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 8, BatchSize = 50, Objective = VaeObjective.Iwae, ImportanceSamples = 3 }))
        {
            trainer.UsesFusedCpuKernels.Should().BeFalse();
            var history = trainer.Fit(data, data).History;
            history[^1].Validation!.Loss.Should().BeLessThan(history[0].Validation!.Loss);
        }
        TensorAssert.ToDoubles(((VampPriorDistribution)model.Prior).Module.PseudoInputs).Should().NotEqual(before, "the pseudo-inputs are learned");

        var path = Path.Combine(directory, "vamp.vae");
        model.Save(path);
        using var loaded = VariationalAutoencoder.Load(path);
        loaded.Options.Should().Be(options);
        TensorAssert.Identical(loaded.Sample(5, new Generator(2)), model.Sample(5, new Generator(2))).Should().BeTrue();
        var z = randn(4, 2, generator: new Generator(3));
        TensorAssert.Identical(loaded.Prior.LogDensity(z), model.Prior.LogDensity(z)).Should().BeTrue();

        var detector = new AnomalyDetector(loaded, threshold: 50);
        detector.Score(data.narrow(0, 0, 4)).Should().OnlyContain(s => double.IsFinite(s));
    }

    [Fact]
    public void MistakesAreExplained()
    {
        ((Action)(() => new VaeOptions { Prior = VaePrior.Vamp, ConditionClasses = 10 }.Validate())).Should().Throw<ArgumentException>().WithMessage("A Vamp prior cannot be combined with a condition*");
        ((Action)(() => new VaeOptions { PseudoInputs = 0 }.Validate())).Should().Throw<ArgumentException>().WithMessage("PseudoInputs must be positive, but was 0.*");

        using var scope = NewDisposeScope();
        using var model = Model();
        var x = Binary(4, 6, seed: 2).to_type(ScalarType.Float64);
        var output = model.Forward(x, new Generator(1));
        ((Action)(() => ElboLoss.NegativeElbo(output, x, freeBits: 0.5))).Should().Throw<ArgumentException>().WithMessage("Free bits*learned prior*");
    }
}
