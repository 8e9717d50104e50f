using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests;

// Reference values are worked out by hand or in double precision from the closed form
// -log N(t; m, v) = 0.5 * ((t - m)^2 / v + log v + log(2 pi)), independently of libtorch.
public class GaussianLikelihoodTests
{
    private static readonly double LogTwoPi = Math.Log(2 * Math.PI); // 1.8378770664093453

    private static double Nll(double mean, double target, double logVar) =>
        0.5 * ((target - mean) * (target - mean) / Math.Exp(logVar) + logVar + LogTwoPi);

    private static Tensor Row(params float[] values) => tensor(values, [1, values.Length]);

    [Fact]
    public void FixedVarianceMatchesValuesWorkedByHand()
    {
        using var scope = NewDisposeScope();
        // t = m, v = 1: 0.5 * log(2 pi) = 0.9189385332
        ElboLoss.GaussianNegativeLogLikelihood(Row(0f), Row(0f), 1.0, Reduction.Sum).item<float>().Should().BeApproximately(0.9189385f, 1e-6f);
        // m = 1, t = 3, v = 4: 0.5 * (4 / 4 + log 4 + log 2 pi) = 0.5 * (1 + 1.3862943611 + 1.8378770664) = 2.1120857138
        ElboLoss.GaussianNegativeLogLikelihood(Row(1f), Row(3f), 4.0, Reduction.Sum).item<float>().Should().BeApproximately(2.1120857f, 1e-6f);
        // two features, v = 0.5: 0.5 * (0.25 / 0.5 + log 0.5 + log 2 pi) + 0.5 * (0 + log 0.5 + log 2 pi)
        //   = 0.5 * (0.5 - 0.6931471806 + 1.8378770664) + 0.5 * (-0.6931471806 + 1.8378770664) = 0.8223649429 + 0.5723649429
        ElboLoss.GaussianNegativeLogLikelihood(Row(0.5f, -2f), Row(1f, -2f), 0.5, Reduction.Sum).item<float>().Should().BeApproximately(1.3947299f, 1e-6f);
        Nll(1, 3, Math.Log(4)).Should().BeApproximately(2.1120857138, 1e-9, "the reference formula agrees with the hand value");
    }

    [Fact]
    public void PerFeatureLogVarianceMatchesTheClosedFormPerSample()
    {
        using var scope = NewDisposeScope();
        double[,] means = { { 0.5, -1, 2 }, { 0, 3, -0.25 } };
        double[,] targets = { { 1, -1, 0 }, { -2, 3.5, 0.75 } };
        double[] logVars = { 0, Math.Log(0.25), 1.5 };
        var mean = tensor(means).to_type(ScalarType.Float32);
        var target = tensor(targets).to_type(ScalarType.Float32);
        var logVar = tensor(logVars).to_type(ScalarType.Float32);

        var perSample = TensorAssert.ToDoubles(ElboLoss.GaussianNegativeLogLikelihood(mean, target, logVar, Reduction.None));
        var total = ElboLoss.GaussianNegativeLogLikelihood(mean, target, logVar, Reduction.Sum).item<float>();
        var average = ElboLoss.GaussianNegativeLogLikelihood(mean, target, logVar, Reduction.Mean).item<float>();

        var expected = Enumerable.Range(0, 2).Select(n => Enumerable.Range(0, 3).Sum(d => Nll(means[n, d], targets[n, d], logVars[d]))).ToArray();
        perSample.Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-5);
        ((double)total).Should().BeApproximately(expected.Sum(), 1e-4);
        ((double)average).Should().BeApproximately(expected.Average(), 1e-4);
        // first sample by hand: 0.5 * (0.25 + 0 + log 2 pi) + 0.5 * (0 + log 0.25 + log 2 pi) + 0.5 * (4 / e^1.5 + 1.5 + log 2 pi)
        expected[0].Should().BeApproximately(0.5 * 0.25 + 0.5 * Math.Log(0.25) + 0.5 * (4 * Math.Exp(-1.5) + 1.5) + 1.5 * LogTwoPi, 1e-12);
    }

    [Fact]
    public void BadArgumentsAreRejectedNamingThem()
    {
        using var scope = NewDisposeScope();
        var target = zeros(2, 3);
        target[1, 1] = tensor(float.PositiveInfinity);
        var infinite = () => ElboLoss.GaussianNegativeLogLikelihood(zeros(2, 3), target, 1.0);
        infinite.Should().Throw<ArgumentException>().Where(e => e.ParamName == "target" && e.Message.Contains("infinite"));

        var variance = () => ElboLoss.GaussianNegativeLogLikelihood(zeros(2, 3), zeros(2, 3), 0.0);
        variance.Should().Throw<ArgumentException>().Where(e => e.ParamName == "variance");

        var broadcast = () => ElboLoss.GaussianNegativeLogLikelihood(zeros(2, 3), zeros(2, 3), zeros(4));
        broadcast.Should().Throw<ArgumentException>().Where(e => e.ParamName == "logVariance" && e.Message.Contains("[4]"));
    }

    [Fact]
    public void TheModelDecodesToTheMeanAndItsReconstructionTermIsTheGaussianNll()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var options = new VaeOptions { InputSize = 5, HiddenSizes = [7], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, GaussianVariance = 0.3 };
        using var model = new VariationalAutoencoder(options);
        var x = randn(6, 5) * 4; // far outside [0, 1], which only a Bernoulli model must refuse

        var terms = model.NegativeElbo(x, reduction: Reduction.None, generator: new Generator(2));
        var pass = model.Forward(x, new Generator(2));
        pass.Likelihood.Should().Be(VaeLikelihood.Gaussian);
        var expected = ElboLoss.GaussianNegativeLogLikelihood(pass.DecoderOutput, x, 0.3, Reduction.None);
        TensorAssert.ToDoubles(terms.Reconstruction).Should().Equal(TensorAssert.ToDoubles(expected), (a, b) => Math.Abs(a - b) < 1e-4);

        var z = randn(4, 2);
        using (no_grad())
            TensorAssert.Identical(model.Decode(z), model.Decoder.forward(z)).Should().BeTrue("a Gaussian model decodes to its means, not a sigmoid");
        model.Sample(3).shape.Should().Equal(3, 5);
        model.Decoder.LogVariance.Should().BeNull("the variance is fixed");

        x[0, 0] = tensor(float.NaN);
        var nan = () => model.NegativeElbo(x);
        nan.Should().Throw<ArgumentException>().Where(e => e.ParamName == "input" && e.Message.Contains("NaN"));
        using var bernoulli = new VariationalAutoencoder(options with { Likelihood = VaeLikelihood.Bernoulli });
        var range = () => bernoulli.NegativeElbo(randn(6, 5) * 4);
        range.Should().Throw<ArgumentException>().Where(e => e.ParamName == "input" && e.Message.Contains("[0, 1]"));
    }

    [Fact]
    public void ALearnedVarianceStartsAtTheOptionAndGetsAGradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = new VariationalAutoencoder(new VaeOptions
        {
            InputSize = 4, HiddenSizes = [6], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, GaussianVariance = 2.0, LearnGaussianVariance = true,
        });
        var logVariance = model.Decoder.LogVariance!;
        TensorAssert.ToDoubles(logVariance).Should().Equal(Enumerable.Repeat(Math.Log(2.0), 4), (a, b) => Math.Abs(a - b) < 1e-6);
        model.named_parameters().Select(p => p.name).Should().Contain("decoder.logVariance");

        var x = randn(8, 4);
        model.NegativeElbo(x, generator: new Generator(1)).Loss.backward();

        // d/d(logVar) of 0.5 * ((t - m)^2 exp(-logVar) + logVar), averaged over the batch: 0.5 * mean(1 - (t - m)^2 / v)
        using var noGrad = no_grad();
        var pass = model.Forward(x, new Generator(1));
        var residual = TensorAssert.ToDoubles((x - pass.DecoderOutput).square());
        var expected = Enumerable.Range(0, 4).Select(d => Enumerable.Range(0, 8).Average(n => 0.5 * (1 - residual[n * 4 + d] / 2.0))).ToArray();
        TensorAssert.ToDoubles(logVariance.grad!).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void TheImportanceWeightedEstimateUsesTheGaussianDensity()
    {
        // All weights zero: q(z|x) = N(0, I) = p(z), and the decoder's mean is its last bias whatever z is, so every
        // importance weight is N(x; bias, v) and the estimate is exactly that log density for any k.
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var model = new VariationalAutoencoder(new VaeOptions
        {
            InputSize = 3, HiddenSizes = [4], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true,
        });
        var bias = new[] { -1.5f, 0.0f, 2.5f };
        var logVariance = new[] { 0.0f, -1.0f, 0.5f };
        using (no_grad())
        {
            foreach (var parameter in model.parameters()) parameter.zero_();
            model.state_dict()["decoder.layers.fc2.bias"].copy_(tensor(bias));
            model.Decoder.LogVariance!.copy_(tensor(logVariance));
        }
        var x = tensor(new float[,] { { 0, 0, 0 }, { -1.5f, 1, 3 } });

        var estimate = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(model, x, 50, new Generator(3)));
        var scores = new AnomalyDetector(model, 0).Score(x);

        var rows = TensorAssert.ToDoubles(x);
        for (var r = 0; r < 2; r++)
        {
            var expected = -Enumerable.Range(0, 3).Sum(d => Nll(bias[d], rows[r * 3 + d], logVariance[d]));
            estimate[r].Should().BeApproximately(expected, 1e-5, $"row {r}");
            scores[r].Should().BeApproximately(-expected, 1e-5, "the KL of q = p is zero");
        }
    }

    [Fact]
    public void AGaussianVaeRecoversTwoDimensionalStructureInEightDimensionalData()
    {
        using var scope = NewDisposeScope();
        // x = A z + noise with z ~ N(0, I_2): the data lie near a plane in 8 dimensions.
        using var generator = new Generator(42);
        var mixing = randn([2, 8], generator: generator) * 2;
        Tensor Data(int count) => randn([count, 2], generator: generator).matmul(mixing) + 0.1 * randn([count, 8], generator: generator);
        var train = Data(2000);
        var test = Data(500);
        manual_seed(5);
        using var model = new VariationalAutoencoder(new VaeOptions
        {
            InputSize = 8, HiddenSizes = [64], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true,
        });
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 30, BatchSize = 64, LearningRate = 3e-3, Seed = 2 });

        trainer.Fit(train, test);

        var variance = test.var(0).mean().item<float>();            // per feature, about 8
        var error = (model.Reconstruct(test) - test).square().mean().item<float>();
        error.Should().BeLessThan(0.05f * variance, $"the data's variance is {variance}");
        // The trainer trains the learned variance too: from 1 towards the small reconstruction error.
        model.Decoder.LogVariance!.exp().mean().item<float>().Should().BeLessThan(0.5f);

        // Points off the plane are anomalous; scores work on data outside [0, 1].
        var detector = AnomalyDetector.Fit(model, test, percentile: 99);
        var offPlane = randn([50, 8], generator: generator) * 3;
        detector.Detect(offPlane).Count(r => r.IsAnomalous).Should().BeGreaterThan(45);
    }
}
