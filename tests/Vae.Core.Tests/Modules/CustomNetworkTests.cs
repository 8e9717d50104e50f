using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// A model built from networks of the caller's own (a residual MLP with layer normalization) keeps everything built on
/// the model: training, checkpoints and resuming, saving and loading its weights, likelihood estimates, anomaly scores
/// and interpolation.
/// </summary>
public sealed class CustomNetworkTests : IDisposable
{
    private const int Features = 32;
    private const int Hidden = 24;
    private const int Latent = 3;
    private static readonly VaeOptions Options = new() { InputSize = Features, LatentSize = Latent };

    private readonly string directory = Directory.CreateTempSubdirectory("vae-custom-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private sealed class ResidualEncoder : Module<Tensor, (Tensor Mean, Tensor LogVariance)>
    {
        private readonly Linear input;
        private readonly LayerNorm norm;
        private readonly Linear block;
        private readonly Linear mean;
        private readonly Linear logVariance;

        public ResidualEncoder(int hidden = Hidden) : base(nameof(ResidualEncoder))
        {
            input = Linear(Features, hidden);
            norm = LayerNorm([hidden]);
            block = Linear(hidden, hidden);
            mean = Linear(hidden, Latent);
            logVariance = Linear(hidden, Latent);
            RegisterComponents();
        }

        public override (Tensor Mean, Tensor LogVariance) forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var h = functional.relu(input.forward(x));
            h = h + functional.gelu(block.forward(norm.forward(h)));
            return (mean.forward(h).MoveToOuterDisposeScope(), logVariance.forward(h).MoveToOuterDisposeScope());
        }
    }

    private sealed class ResidualDecoder : Module<Tensor, Tensor>
    {
        private readonly Linear input;
        private readonly LayerNorm norm;
        private readonly Linear block;
        private readonly Linear output;

        public ResidualDecoder() : base(nameof(ResidualDecoder))
        {
            input = Linear(Latent, Hidden);
            norm = LayerNorm([Hidden]);
            block = Linear(Hidden, Hidden);
            output = Linear(Hidden, Features);
            RegisterComponents();
        }

        public override Tensor forward(Tensor z)
        {
            using var scope = NewDisposeScope();
            var h = functional.relu(input.forward(z));
            h = h + functional.gelu(block.forward(norm.forward(h)));
            return output.forward(h).MoveToOuterDisposeScope();
        }
    }

    // An encoder whose codes are one too wide.
    private sealed class WrongWidthEncoder : Module<Tensor, (Tensor Mean, Tensor LogVariance)>
    {
        private readonly Linear layer = Linear(Features, Latent + 1);

        public WrongWidthEncoder() : base(nameof(WrongWidthEncoder)) => RegisterComponents();

        public override (Tensor Mean, Tensor LogVariance) forward(Tensor x) => (layer.forward(x), layer.forward(x));
    }

    private static VariationalAutoencoder NewModel(int seed, VaeOptions? options = null)
    {
        manual_seed(seed);
        return new VariationalAutoencoder(new ResidualEncoder(), new ResidualDecoder(), options ?? Options);
    }

    private static readonly VaeTrainerOptions Training = new() { Epochs = 4, BatchSize = 16, LearningRate = 1e-2, Seed = 7 };

    [Fact]
    public void TrainsChecksAndResumesBitForBitSavesAndLoadsItsWeights()
    {
        using var scope = NewDisposeScope();
        var all = Binary(208, Features, seed: 3);
        var data = all.narrow(0, 0, 160);
        var validation = all.narrow(0, 160, 48);

        using var straight = NewModel(1);
        straight.IsCustom.Should().BeTrue();
        var untrained = straight.NegativeElbo(validation, generator: new Generator(1)).Loss.item<float>();
        straight.Options.Architecture.Should().Be(VaeArchitecture.Custom);
        TrainingResult result;
        using (var trainer = new VaeTrainer(straight, Training))
        {
            trainer.UsesFusedCpuKernels.Should().BeFalse("the fused kernels implement the built-in MLP only");
            result = trainer.Fit(data, validation);
        }
        result.History[^1].Validation!.Loss.Should().BeLessThan(untrained - 3, "the custom networks learn");

        // Two epochs, a checkpoint, and a new model of the same modules resumed from it: the same weights as one run.
        var checkpoint = Path.Combine(directory, "custom.ckpt");
        using (var first = NewModel(1))
        using (var trainer = new VaeTrainer(first, Training with { Epochs = 2 }))
        {
            trainer.Fit(data, validation);
            trainer.SaveCheckpoint(checkpoint);
        }
        using var resumed = NewModel(99);
        using (var trainer = new VaeTrainer(resumed, Training))
        {
            trainer.LoadCheckpoint(checkpoint);
            trainer.CompletedEpochs.Should().Be(2);
            trainer.Fit(data, validation);
        }
        SameWeights(resumed, Weights(straight)).Should().BeTrue("a resumed run ends with the weights of an uninterrupted one");

        var resume = () => VaeTrainer.Resume(checkpoint);
        resume.Should().Throw<InvalidOperationException>()
            .WithMessage($"*{checkpoint}*own encoder and decoder*{nameof(VaeTrainer.LoadCheckpoint)}*");

        var path = Path.Combine(directory, "custom.vae");
        straight.Save(path);
        VaeModelFile.ReadOptions(path).Should().Be(straight.Options);
        var load = () => VariationalAutoencoder.Load(path);
        load.Should().Throw<InvalidOperationException>().WithMessage($"*{path}*own encoder and decoder*{nameof(VariationalAutoencoder.LoadWeights)}*");

        using var loaded = NewModel(123);
        loaded.LoadWeights(path);
        loaded.eval();
        straight.eval();
        TensorAssert.Identical(loaded.Reconstruct(validation), straight.Reconstruct(validation)).Should().BeTrue();
    }

    [Fact]
    public void WeightsOfOtherModulesAreRefusedNamingTheTensor()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(directory, "custom.vae");
        using (var model = NewModel(1)) model.Save(path);

        manual_seed(2);
        using var wider = new VariationalAutoencoder(new ResidualEncoder(hidden: Hidden + 1), new ResidualDecoder(), Options);
        var before = Weights(wider);
        var act = () => wider.LoadWeights(path);
        act.Should().Throw<ArgumentException>().WithMessage("*encoder.input.weight*");
        SameWeights(wider, before).Should().BeTrue("a refused file changes nothing");
    }

    [Fact]
    public void LikelihoodEstimatesAnomalyScoresAndInterpolationUseTheCustomNetworks()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(1);
        using (var trainer = new VaeTrainer(model, Training with { Epochs = 2 }))
            trainer.Fit(Binary(166, Features, seed: 3).narrow(0, 0, 160));
        model.eval();
        var x = Binary(166, Features, seed: 3).narrow(0, 160, 6);

        // One importance sample is log p(x|z) + log p(z) - log q(z|x) at one draw of z, worked here by hand.
        var (mean, logVariance) = model.Posterior(x);
        var z = mean + randn([1, 6, Latent], generator: new Generator(11))[0] * (0.5 * logVariance).exp();
        var logWeight = ElboLoss.BinaryCrossEntropyWithLogits(model.LikelihoodParameters(z), x, Reduction.None).neg()
                        + GaussianDensity.StandardLogDensity(z) - GaussianDensity.LogDensity(z, mean, logVariance);
        var oneSample = LikelihoodEstimator.LogLikelihood(model, x, 1, new Generator(11));
        var expected = TensorAssert.ToDoubles(logWeight);
        var actual = TensorAssert.ToDoubles(oneSample);
        for (var i = 0; i < expected.Length; i++) actual[i].Should().BeApproximately(expected[i], 1e-3, $"row {i}");
        var estimate = LikelihoodEstimator.Estimate(model, x, 50, new Generator(12));
        double.IsFinite(estimate.MeanLogLikelihood).Should().BeTrue();

        var detector = AnomalyDetector.Fit(model, x, percentile: 50);
        var atMean = model.Posterior(x).Mean;
        var reconstruction = ElboLoss.BinaryCrossEntropyWithLogits(model.LikelihoodParameters(atMean), x, Reduction.None);
        var kl = ElboLoss.KlDivergence(atMean, model.Posterior(x).LogVariance, Reduction.None);
        var scores = detector.Score(x);
        var manual = TensorAssert.ToDoubles(reconstruction + kl);
        for (var i = 0; i < scores.Length; i++) scores[i].Should().BeApproximately(manual[i], 1e-3, $"row {i}");
        detector.Detect(x).Count(r => r.IsAnomalous).Should().BeInRange(1, 5);

        var path = LatentInterpolation.BetweenInputs(model, x[0], x[1], 5);
        path.shape.Should().Equal(5, Features);
        path[0].allclose(model.Reconstruct(x.narrow(0, 0, 1))[0], rtol: 0, atol: 1e-5).Should().BeTrue("the path starts at the first input's reconstruction");
    }

    [Fact]
    public void ALearnedGaussianVarianceBelongsToTheModelAndTrains()
    {
        using var scope = NewDisposeScope();
        using var model = NewModel(1, Options with { Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true, GaussianVariance = 0.5 });
        model.LogVariance.Should().NotBeNull();
        model.state_dict().Keys.Should().Contain("logVariance");
        var before = model.LogVariance!.detach().clone();
        using (var trainer = new VaeTrainer(model, Training with { Epochs = 1 }))
            trainer.Fit(randn([64, Features], generator: new Generator(3)));
        TensorAssert.Identical(model.LogVariance!, before).Should().BeFalse("the variance is learned");
    }

    [Fact]
    public void AnEncoderOfTheWrongWidthIsReportedWithTheShapes()
    {
        using var scope = NewDisposeScope();
        using var model = new VariationalAutoencoder(new WrongWidthEncoder(), new ResidualDecoder(), Options);
        var act = () => model.Encode(zeros(2, Features));
        act.Should().Throw<ArgumentException>().WithMessage("*custom encoder's mean*[2, 3]*[2, 4]*");
        var wrongInput = () => model.Encode(zeros(2, Features + 1));
        wrongInput.Should().Throw<ArgumentException>().WithMessage("*32 features*[2, 33]*");
    }

    [Fact]
    public void TheBuiltInNetworksAreNotThereToAskFor()
    {
        using var model = NewModel(1);
        var encoder = () => model.Encoder;
        encoder.Should().Throw<InvalidOperationException>().WithMessage("*own encoder*");
        var builtIn = () => new VariationalAutoencoder(Options with { Architecture = VaeArchitecture.Custom });
        builtIn.Should().Throw<ArgumentException>().WithMessage("*Custom*your own encoder and decoder*");
        var convolutional = () => new VariationalAutoencoder(new ResidualEncoder(), new ResidualDecoder(), Options with { Architecture = VaeArchitecture.Convolutional });
        convolutional.Should().Throw<ArgumentException>().WithMessage("*Custom*not Convolutional*");
    }
}
