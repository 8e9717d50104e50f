using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests;

// References in double precision from the closed forms in lambda (Loaiza-Ganem and Cunningham, 2019):
// C(lambda) = 2 atanh(1 - 2 lambda) / (1 - 2 lambda), E[x] = lambda / (2 lambda - 1) + 1 / (2 atanh(1 - 2 lambda)),
// independent of the library's logit forms and series.
public class ContinuousBernoulliTests
{
    private static double Logit(double lambda) => Math.Log(lambda / (1 - lambda));

    private static double LogNormalizerOf(double lambda) =>
        lambda == 0.5 ? Math.Log(2) : Math.Log(2 * Atanh(1 - 2 * lambda, lambda) / (1 - 2 * lambda));

    private static double MeanOf(double lambda) =>
        lambda == 0.5 ? 0.5 : lambda / (2 * lambda - 1) + 1 / (2 * Atanh(1 - 2 * lambda, lambda));

    // atanh(1 - 2 lambda); near lambda = 0 or 1 the argument has lost the digits of lambda, so there the same value as
    // 0.5 log((1 - lambda) / lambda).
    private static double Atanh(double argument, double lambda) =>
        Math.Abs(argument) < 0.9 ? Math.Atanh(argument) : 0.5 * Math.Log((1 - lambda) / lambda);

    // Near 1/2 (the series), just outside the series' cutoffs (|l| 0.1 and 0.5), in the middle, and near 0 and 1.
    private static readonly double[] Lambdas =
    [
        0.5, 0.5 + 1e-7, 0.5 - 1e-7, 0.5 + 1e-4, 0.5 - 1e-4, 0.5 + 1e-2, 0.5 - 0.02, 0.52, 0.53, 0.56, 0.65, 0.3, 0.1,
        1e-3, 1e-6, 1e-9, 1 - 1e-3, 1 - 1e-6,
    ];

    // The function at the logits of every lambda in Lambdas, computed in dtype, read back in double.
    private static double[] AtLambdas(Func<Tensor, Tensor> function, ScalarType dtype) =>
        TensorAssert.ToDoubles(function(tensor(Lambdas.Select(Logit).ToArray()).to_type(dtype)));

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12)]
    [InlineData(ScalarType.Float32, 1e-6)]
    public void TheLogNormalizerMatchesTheClosedFormInLambdaNearOneHalfAndNearZeroAndOne(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var actual = AtLambdas(ContinuousBernoulli.LogNormalizer, dtype);
        for (var i = 0; i < Lambdas.Length; i++)
        {
            var expected = LogNormalizerOf(Lambdas[i]);
            actual[i].Should().BeApproximately(expected, tolerance * Math.Max(1, Math.Abs(expected)), $"lambda = {Lambdas[i]:R}");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-9)]
    [InlineData(ScalarType.Float32, 1e-6)]
    public void TheMeanMatchesTheClosedFormInLambdaNearOneHalfAndNearZeroAndOne(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var actual = AtLambdas(ContinuousBernoulli.Mean, dtype);
        for (var i = 0; i < Lambdas.Length; i++)
        {
            // The closed form in lambda itself cancels near 1/2: two terms of about 1 / (4 |lambda - 1/2|) each.
            var cancellation = 1e-16 / Math.Max(Math.Abs(Lambdas[i] - 0.5), 1e-300);
            actual[i].Should().BeApproximately(MeanOf(Lambdas[i]), tolerance + Math.Min(cancellation, 1), $"lambda = {Lambdas[i]:R}");
        }
        ContinuousBernoulli.Mean(tensor(0.0).to_type(dtype)).to_type(ScalarType.Float64).item<double>().Should().Be(0.5);
    }

    // Where lambda itself rounds to 0 or 1 the closed form in lambda is gone, but in logits it is exact:
    // C = |l| / tanh(|l| / 2), E[x] = 1 - 1 / l for large positive l and -1 / l for large negative l.
    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void ExtremeLogitsGiveTheLimitsAndFiniteGradients(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        double[] values = [-1e6, -300, -40, 40, 300, 1e6];
        var logits = tensor(values).to_type(dtype).requires_grad_();
        var logNormalizer = ContinuousBernoulli.LogNormalizer(logits);
        var actual = TensorAssert.ToDoubles(logNormalizer);
        var means = TensorAssert.ToDoubles(ContinuousBernoulli.Mean(logits.detach()));
        for (var i = 0; i < values.Length; i++)
        {
            var l = Math.Abs(values[i]);
            actual[i].Should().BeApproximately(Math.Log(l / Math.Tanh(l / 2)), 1e-6 * Math.Log(l), $"l = {values[i]}");
            means[i].Should().BeApproximately(values[i] > 0 ? 1 - 1 / values[i] : -1 / values[i], 1e-6, $"l = {values[i]}");
        }
        logNormalizer.sum().backward();
        var gradients = TensorAssert.ToDoubles(logits.grad!);
        for (var i = 0; i < values.Length; i++)
            gradients[i].Should().BeApproximately(1 / values[i], 1e-6 * Math.Abs(1 / values[i]), "d log|l| / dl, the tanh term's derivative vanishing");
    }

    [Fact]
    public void TheGradientIsFiniteAtOneHalfAndMatchesFiniteDifferencesOnBothSidesOfTheCutoffs()
    {
        using var scope = NewDisposeScope();
        double[] values = [0, 1e-8, -0.01, 0.0999, 0.1001, -0.4999, 0.5001, 0.7, -3, 12];
        var logits = tensor(values).requires_grad_();
        ContinuousBernoulli.LogNormalizer(logits).sum().backward();
        var gradients = TensorAssert.ToDoubles(logits.grad!);
        for (var i = 0; i < values.Length; i++)
        {
            // d/dl log(l / tanh(l / 2)) = 1 / l - 1 / sinh(l), 0 at l = 0; its series is l / 6 - 7 l^3 / 360 near 0.
            var l = values[i];
            var expected = Math.Abs(l) < 1e-3 ? l / 6 - 7 * l * l * l / 360 : 1 / l - 1 / Math.Sinh(l);
            gradients[i].Should().BeApproximately(expected, 1e-9, $"l = {l}");
        }
    }

    // The density integrates to 1 over [0, 1] and its first moment is the mean: checks of the normaliser and of the mean
    // that go through neither closed form.
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.003)]
    [InlineData(-0.3)]
    [InlineData(2.0)]
    [InlineData(-9.0)]
    public void TheDensityIntegratesToOneAndItsFirstMomentIsTheMean(double logit)
    {
        using var scope = NewDisposeScope();
        const int Points = 20001;
        var x = linspace(0, 1, Points, dtype: ScalarType.Float64).reshape(Points, 1);
        var logits = full([Points, 1], logit, dtype: ScalarType.Float64);
        var density = ContinuousBernoulli.NegativeLogLikelihood(logits, x, Reduction.None).neg().exp();
        var mass = trapezoid(density, x.flatten()).item<double>();
        var moment = trapezoid(density.mul(x.flatten()), x.flatten()).item<double>();
        mass.Should().BeApproximately(1, 1e-7);
        moment.Should().BeApproximately(ContinuousBernoulli.Mean(tensor(logit)).item<double>(), 1e-7);
    }

    [Fact]
    public void TheNegativeLogLikelihoodIsTheCrossEntropyMinusTheLogNormalizer()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[,] { { -2.0, 0.0, 0.3 }, { 5.0, -0.05, 1.0 } });
        var x = tensor(new[,] { { 0.1, 0.5, 1.0 }, { 0.0, 0.25, 0.9 } });
        var expected = new double[2];
        for (var n = 0; n < 2; n++)
        for (var d = 0; d < 3; d++)
        {
            var l = logits[n, d].item<double>();
            var t = x[n, d].item<double>();
            var lambda = 1 / (1 + Math.Exp(-l));
            expected[n] += -(t * Math.Log(lambda) + (1 - t) * Math.Log(1 - lambda)) - LogNormalizerOf(lambda);
        }
        var perSample = TensorAssert.ToDoubles(ContinuousBernoulli.NegativeLogLikelihood(logits, x, Reduction.None));
        perSample[0].Should().BeApproximately(expected[0], 1e-12);
        perSample[1].Should().BeApproximately(expected[1], 1e-12);
        ContinuousBernoulli.NegativeLogLikelihood(logits, x).item<double>().Should().BeApproximately(expected.Average(), 1e-12);
    }

    [Fact]
    public void BadInputIsRefusedWithItsName()
    {
        using var scope = NewDisposeScope();
        var act = () => ContinuousBernoulli.NegativeLogLikelihood(zeros(2, 3), full(2, 3, 1.5f));
        act.Should().Throw<ArgumentException>().WithMessage("*target must lie in *1.5*");
        var nan = () => ContinuousBernoulli.LogNormalizer(tensor(new[] { float.NaN }));
        nan.Should().Throw<ArgumentException>().WithMessage("*logits*NaN*");
    }

    [Fact]
    public void AContinuousBernoulliModelTrainsOnItsLikelihoodAndDecodesToTheMeanNotLambda()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var options = new VaeOptions { InputSize = 6, HiddenSizes = [5], LatentSize = 2, Likelihood = VaeLikelihood.ContinuousBernoulli };
        using var model = new VariationalAutoencoder(options);
        options.ToString().Should().Be("6-5-2 (continuous Bernoulli)");
        var x = rand(4, 6, generator: new Generator(3));

        var output = model.Forward(x, new Generator(9));
        var terms = ElboLoss.NegativeElbo(output, x, reduction: Reduction.None);
        var bce = functional.binary_cross_entropy_with_logits(output.DecoderOutput, x, reduction: Reduction.None);
        var expected = bce.sub(ContinuousBernoulli.LogNormalizer(output.DecoderOutput)).sum(1);
        TensorAssert.ToDoubles(terms.Reconstruction).Should().Equal(TensorAssert.ToDoubles(expected), (a, b) => Math.Abs(a - b) < 1e-5);

        var z = randn(3, 2, generator: new Generator(4)).mul_(4);
        var decoded = model.Decode(z);
        using (no_grad())
        {
            var logits = model.Decoder.forward(z);
            TensorAssert.ToDoubles(decoded).Should().Equal(TensorAssert.ToDoubles(ContinuousBernoulli.Mean(logits)), (a, b) => Math.Abs(a - b) < 1e-6);
            (decoded - logits.sigmoid()).abs().max().item<float>().Should().BeGreaterThan(1e-3f, "the mean is not lambda");
        }

        var outside = () => model.NegativeElbo(x.add(1));
        outside.Should().Throw<ArgumentException>().WithMessage("*input must lie in*");
    }
}
