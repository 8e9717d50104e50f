using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.PackageTests;

/// <summary>
/// A likelihood and a prior written outside the library, as an app writes them: a Laplace p(x|z) with a learned scale
/// per feature and a learned mixture of Gaussians p(z), trained, evaluated (ELBO and IWAE), used for anomaly scores,
/// saved under registered names and refused when unregistered.
/// </summary>
public sealed class CustomDistributionTests : IDisposable
{
    private const int Features = 8;
    private const int Latent = 2;
    private const string LaplaceName = "PackageTests.Laplace";
    private const string MixtureName = "PackageTests.GaussianMixture";

    private readonly string directory = Directory.CreateTempSubdirectory("vae-package-distributions-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>p(x|z) = prod_j exp(-|x_j - mu_j| / b_j) / (2 b_j); the decoder gives mu, the model learns log b.</summary>
    private sealed class LaplaceLikelihood(string registeredName = LaplaceName) : DataLikelihood
    {
        public override string Name => registeredName;

        public override bool HasParameter => true;

        public override bool LearnsParameter => true;

        public override Tensor? CreateLearnedParameter(int inputSize) => full(inputSize, -1.0);

        public override Tensor NegativeLogDensity(Tensor output, Tensor? parameter, Tensor target)
        {
            ArgumentNullException.ThrowIfNull(parameter);
            using var scope = NewDisposeScope();
            return (target - output).abs().mul(parameter.neg().exp()).add(parameter).add(Math.Log(2)).MoveToOuterDisposeScope();
        }

        public override Tensor Mean(Tensor output) => output;

        public override void CheckData(Tensor data, string name)
        {
            using var scope = NewDisposeScope();
            if (!data.isfinite().all().item<bool>()) throw new ArgumentException($"{name} must be finite for a Laplace likelihood.", name);
        }
    }

    private sealed class MixtureParameters : Module
    {
        public MixtureParameters(int components, int latent) : base(nameof(MixtureParameters))
        {
            means = Parameter(randn(components, latent));
            logVariances = Parameter(zeros(components, latent));
            RegisterComponents();
        }

        private Parameter means;
        private Parameter logVariances;

        public Tensor Means => means;

        public Tensor LogVariances => logVariances;
    }

    /// <summary>p(z) = (1/K) sum_k N(z; m_k, diag(exp(s_k))), with learned m and s; its KL has no closed form.</summary>
    private sealed class GaussianMixturePrior(int components, string registeredName = MixtureName) : LatentPrior
    {
        private readonly MixtureParameters parameters = new(components, Latent);

        public override string Name => registeredName;

        public override Module? Parameters => parameters;

        public Tensor Means => parameters.Means;

        public override Tensor LogDensity(Tensor z)
        {
            using var scope = NewDisposeScope();
            var flat = z.reshape(-1, 1, Latent);
            var logVariances = parameters.LogVariances.unsqueeze(0);
            var perComponent = (flat - parameters.Means.unsqueeze(0)).pow(2).mul(logVariances.neg().exp()).add(logVariances).add(Math.Log(2 * Math.PI)).sum(-1).mul(-0.5);
            var logDensity = perComponent.logsumexp(1).sub(Math.Log(components));
            return logDensity.reshape(z.shape[..^1]).MoveToOuterDisposeScope();
        }

        public override Tensor Sample(int count, Device device, Generator? generator)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var chosen = randint(0, components, [count], device: device, generator: generator);
            var noise = randn([count, Latent], device: device, generator: generator);
            var means = parameters.Means.index_select(0, chosen);
            var deviations = parameters.LogVariances.index_select(0, chosen).mul(0.5).exp();
            return means.addcmul(noise, deviations, 1).MoveToOuterDisposeScope();
        }
    }

    // Two clusters of real-valued rows with heavy-tailed noise; anomalies lie far from both.
    private static Tensor Rows(int rows, int seed, double offset = 0)
    {
        var random = new Random(seed);
        var values = new float[rows * Features];
        for (var row = 0; row < rows; row++)
        {
            var centre = row % 2 == 0 ? 1.0 : -1.0;
            for (var feature = 0; feature < Features; feature++)
            {
                var u = random.NextDouble() - 0.5;
                var laplace = -0.2 * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u));
                values[row * Features + feature] = (float)(centre * (feature % 2 == 0 ? 1 : -1) + laplace + offset);
            }
        }
        return tensor(values, [rows, Features]);
    }

    private static VaeOptions Options => new() { InputSize = Features, HiddenSizes = [24], LatentSize = Latent };

    private static VariationalAutoencoder NewModel(string likelihoodName = LaplaceName, string priorName = MixtureName)
    {
        manual_seed(11);
        return new VariationalAutoencoder(Options, new LaplaceLikelihood(likelihoodName), new GaussianMixturePrior(4, priorName));
    }

    [Fact]
    public void ALaplaceLikelihoodAndAMixturePriorTrainAndAreEvaluatedWithTheirOwnDensities()
    {
        using var scope = NewDisposeScope();
        var train = Rows(200, seed: 1);
        var validation = Rows(60, seed: 2);
        using var model = NewModel();
        model.Likelihood.Name.Should().Be(LaplaceName);
        model.Prior.Name.Should().Be(MixtureName);
        var scaleBefore = model.LogVariance!.data<float>().ToArray();
        var meansBefore = ((GaussianMixturePrior)model.Prior).Means.data<float>().ToArray();

        TrainingResult result;
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 12, BatchSize = 20, LearningRate = 1e-2, Seed = 3 }))
            result = trainer.Fit(train, validation);
        result.Last.Validation!.Loss.Should().BeLessThan(result.History[0].Validation!.Loss - 1, "the model learns");
        model.LogVariance!.data<float>().ToArray().Should().NotEqual(scaleBefore, "the Laplace scale is learned");
        ((GaussianMixturePrior)model.Prior).Means.data<float>().ToArray().Should().NotEqual(meansBefore, "the mixture is learned");

        // The ELBO is made of the Laplace density and the mixture's log p(z), nothing built in.
        using (var noGrad = no_grad())
        {
            var generator = new Generator(5);
            var output = model.Forward(validation, generator);
            var terms = ElboLoss.NegativeElbo(output, validation, ElboReduction.None);
            var logScale = model.LogVariance!;
            var laplace = (validation - output.DecoderOutput).abs().mul(logScale.neg().exp()).add(logScale).add(Math.Log(2)).sum(1);
            var posterior = (output.Z - output.Mean).pow(2).mul(output.LogVariance.neg().exp()).add(output.LogVariance).add(Math.Log(2 * Math.PI)).sum(1).mul(-0.5);
            var kl = posterior - model.Prior.LogDensity(output.Z);
            ((terms.Reconstruction - laplace).abs().max().item<float>()).Should().BeLessThan(1e-4f);
            ((terms.Kl - kl).abs().max().item<float>()).Should().BeLessThan(1e-4f);
        }

        // IWAE: the estimate of log p(x) with many samples is a tighter bound than the ELBO.
        var elbo = model.NegativeElbo(validation, ElboReduction.PerSample, generator: new Generator(6)).Loss.item<float>();
        var estimate = LikelihoodEstimator.Estimate(model, validation, samples: 200, generator: new Generator(7));
        double.IsFinite(estimate.MeanLogLikelihood).Should().BeTrue();
        estimate.MeanLogLikelihood.Should().BeGreaterThan(-elbo - 0.5);
        model.NegativeElboAtMean(validation).Should().BeApproximately(elbo, Math.Abs(elbo) * 0.5 + 2);

        // The IWAE objective trains them too.
        using (var iwae = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 20, LearningRate = 1e-3, Seed = 4, Objective = VaeObjective.Iwae, ImportanceSamples = 4 }))
            double.IsFinite(iwae.Fit(train, validation).Last.Validation!.Loss).Should().BeTrue();

        FluentActions.Invoking(() => model.NegativeElbo(tensor(new[] { float.NaN }).expand(1, Features))).Should().Throw<ArgumentException>()
            .WithMessage("*finite for a Laplace likelihood*", "the likelihood checks the data");
    }

    [Fact]
    public void AnomalyScoresComeFromTheCustomDistributions()
    {
        using var scope = NewDisposeScope();
        var normal = Rows(200, seed: 8);
        var anomalies = Rows(20, seed: 9, offset: 4);
        using var model = NewModel();
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 12, BatchSize = 20, LearningRate = 1e-2, Seed = 3 }))
            trainer.Fit(normal);

        foreach (var kind in new[] { AnomalyScoreKind.NegativeElboAtMean, AnomalyScoreKind.NegativeImportanceWeighted })
        {
            using var detector = AnomalyDetector.Fit(model, normal, percentile: 95, scoreKind: kind, importanceSamples: 32, generator: new Generator(10));
            var normalScores = detector.Score(Rows(40, seed: 12), new Generator(11));
            var anomalyScores = detector.Score(anomalies, new Generator(11));
            anomalyScores.Min().Should().BeGreaterThan(normalScores.Average(), $"{kind} scores rows far from the data higher");
            detector.Detect(anomalies, new Generator(11)).Count(r => r.IsAnomalous).Should().BeGreaterThan(15);
        }
    }

    [Fact]
    public void AModelWithRegisteredTypesSavesAndLoadsAndAnUnregisteredOneIsRefusedWithHowToRegister()
    {
        using var scope = NewDisposeScope();
        var data = Rows(40, seed: 13);
        using (var unregistered = NewModel(likelihoodName: "PackageTests.UnregisteredLaplace"))
            FluentActions.Invoking(() => unregistered.Save(Path.Combine(directory, "refused.vae"))).Should().Throw<InvalidOperationException>()
                .WithMessage("*'PackageTests.UnregisteredLaplace'*VaeDistributions.RegisterLikelihood(\"PackageTests.UnregisteredLaplace\"*");
        using (var unregistered = NewModel(priorName: "PackageTests.UnregisteredMixture"))
        {
            VaeDistributions.RegisterLikelihood(LaplaceName, _ => new LaplaceLikelihood());
            FluentActions.Invoking(() => unregistered.Save(Path.Combine(directory, "refused.vae"))).Should().Throw<InvalidOperationException>()
                .WithMessage("*'PackageTests.UnregisteredMixture'*VaeDistributions.RegisterPrior(\"PackageTests.UnregisteredMixture\"*");
        }
        File.Exists(Path.Combine(directory, "refused.vae")).Should().BeFalse();

        VaeDistributions.RegisterLikelihood(LaplaceName, _ => new LaplaceLikelihood());
        VaeDistributions.RegisterPrior(MixtureName, _ => new GaussianMixturePrior(4));
        FluentActions.Invoking(() => VaeDistributions.RegisterLikelihood("Gaussian", _ => new LaplaceLikelihood())).Should().Throw<ArgumentException>();
        using var model = NewModel();
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 10, Seed = 3 }))
            trainer.Fit(data);
        var path = Path.Combine(directory, "custom-distributions.vae");
        model.Save(path);
        VaeModelFile.ReadAttachments(path).Should().ContainKey("vae.distributions");

        using var loaded = VariationalAutoencoder.Load(path);
        loaded.Likelihood.Should().BeOfType<LaplaceLikelihood>();
        loaded.Prior.Should().BeOfType<GaussianMixturePrior>();
        TestData.ShouldHaveTheSameWeights(loaded, model);
        model.eval();
        loaded.NegativeElboAtMean(data).Should().Be(model.NegativeElboAtMean(data));
    }
}
