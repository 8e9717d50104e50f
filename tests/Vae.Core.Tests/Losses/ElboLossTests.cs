using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Xunit;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

// Reference values are worked out in double precision from the closed forms, independently of libtorch.
// PyTorch's binary_cross_entropy clamps each log at -100 (aten/src/ATen/native/Loss.cpp), which the
// clamp cases below reproduce by hand.
public class ElboLossTests
{
    private static Tensor T(params double[] values) => tensor(values.Select(v => (float)v).ToArray(), [values.Length, 1]);

    private static double Kl(double mean, double logVar) => 0.5 * (mean * mean + Math.Exp(logVar) - 1 - logVar);

    private static double Bce(double p, double t) =>
        -(t * Math.Max(Math.Log(p), -100) + (1 - t) * Math.Max(Math.Log(1 - p), -100));

    [Fact]
    public void KlOfTheStandardNormalIsZero()
    {
        using var scope = NewDisposeScope();
        ElboLoss.KlDivergence(zeros(4, 20), zeros(4, 20), nn.Reduction.Sum).item<float>().Should().Be(0f);
    }

    [Fact]
    public void KlMatchesTheClosedFormPerSample()
    {
        using var scope = NewDisposeScope();
        double[,] means = { { 1, 2, -0.5 }, { 0.25, -3, 0 } };
        double[,] logVars = { { 0, Math.Log(4), -2 }, { 1.5, 0.1, -7 } };
        var mean = tensor(means).to_type(ScalarType.Float32);
        var logVar = tensor(logVars).to_type(ScalarType.Float32);

        var perSample = ElboLoss.KlDivergence(mean, logVar, nn.Reduction.None).data<float>().ToArray();

        for (var n = 0; n < 2; n++)
        {
            var expected = Enumerable.Range(0, 3).Sum(j => Kl(means[n, j], logVars[n, j]));
            ((double)perSample[n]).Should().BeApproximately(expected, 1e-5 * Math.Max(1, expected));
        }
        // 0.5 * (1 + 1 - 1 - 0) for the first element, worked by hand
        Kl(1, 0).Should().Be(0.5);
    }

    [Fact]
    public void ReductionsAreSumAndMeanOfThePerSampleValues()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var mean = randn(5, 2, 3);
        var logVar = randn(5, 2, 3);
        var perSample = ElboLoss.KlDivergence(mean, logVar, nn.Reduction.None);
        perSample.shape.Should().Equal(5);
        var values = perSample.data<float>().ToArray();

        ElboLoss.KlDivergence(mean, logVar, nn.Reduction.Sum).item<float>().Should().BeApproximately(values.Sum(), 1e-4f);
        ElboLoss.KlDivergence(mean, logVar, nn.Reduction.Mean).item<float>().Should().BeApproximately(values.Average(), 1e-4f);
        ElboLoss.KlDivergence(mean, logVar).item<float>().Should().BeApproximately(values.Average(), 1e-4f, "Mean is the default");
    }

    // One rule for every loss: nats per sample unless told otherwise.
    [Fact]
    public void EveryLossDefaultsToTheMeanPerSample()
    {
        var methods = typeof(ElboLoss).GetMethods().Concat(typeof(VariationalAutoencoder).GetMethods())
            .Where(m => m.IsPublic)
            .SelectMany(m => m.GetParameters().Where(p => p.ParameterType == typeof(nn.Reduction)).Select(p => (Method: m, Parameter: p)))
            .ToArray();
        methods.Select(m => m.Method.Name).Should().Contain(["KlDivergence", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "GaussianNegativeLogLikelihood", "FreeBitsKl", "NegativeElbo"]);
        foreach (var (method, parameter) in methods)
        {
            parameter.HasDefaultValue.Should().BeTrue($"{method.DeclaringType!.Name}.{method.Name} has a default reduction");
            parameter.DefaultValue.Should().Be(nn.Reduction.Mean, $"{method.DeclaringType!.Name}.{method.Name} reduces to nats per sample by default");
        }
    }

    [Theory]
    [InlineData(0.8, 1.0)]
    [InlineData(0.5, 0.3)]
    [InlineData(0.01, 0.0)]
    [InlineData(0.999, 0.25)]
    public void BinaryCrossEntropyMatchesTheClosedForm(double p, double t)
    {
        using var scope = NewDisposeScope();
        // the reference uses the float32 values the tensor holds: 1 - 0.999f is far from 1 - 0.999
        var expected = Bce((float)p, (float)t);
        ((double)ElboLoss.BinaryCrossEntropy(T(p), T(t), nn.Reduction.Sum).item<float>()).Should().BeApproximately(expected, 1e-6 * Math.Max(1, expected));
    }

    [Theory]
    [InlineData(0.0, 1.0, 100.0)] // log(0) clamped to -100
    [InlineData(1.0, 0.0, 100.0)] // log(1 - 1) clamped to -100
    [InlineData(0.0, 0.0, 0.0)]   // the clamped log is multiplied by a zero target
    [InlineData(1.0, 1.0, 0.0)]
    [InlineData(0.0, 0.5, 50.0)]
    public void BinaryCrossEntropyClampsLogAtMinus100LikePyTorch(double p, double t, double expected)
    {
        using var scope = NewDisposeScope();
        var value = ElboLoss.BinaryCrossEntropy(T(p), T(t), nn.Reduction.Sum).item<float>();
        value.Should().Be((float)expected);
        Bce(p, t).Should().Be(expected);
    }

    [Theory]
    [InlineData(100.0, 1.0, 0.0)]
    [InlineData(-100.0, 1.0, 100.0)]
    [InlineData(100.0, 0.0, 100.0)]
    [InlineData(-100.0, 0.0, 0.0)]
    [InlineData(100.0, 0.5, 50.0)]
    public void BinaryCrossEntropyWithLogitsIsExactForExtremeLogits(double logit, double t, double expected)
    {
        using var scope = NewDisposeScope();
        var value = ElboLoss.BinaryCrossEntropyWithLogits(T(logit), T(t), nn.Reduction.Sum).item<float>();
        float.IsFinite(value).Should().BeTrue();
        // exact: max(x, 0) - x t + log(1 + exp(-|x|)), where log(1 + e^-100) = 3.7e-44
        value.Should().BeApproximately((float)expected, 1e-6f);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsEqualsBinaryCrossEntropyOfTheSigmoid()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { -6.0, -1.5, -0.2, 0.0, 0.3, 2.0, 5.0 });
        var target = tensor(new[] { 0.0, 1.0, 0.4, 0.5, 1.0, 0.0, 0.9 });
        var expected = Enumerable.Range(0, 7).Sum(i =>
        {
            var x = logits[i].item<double>();
            var t = target[i].item<double>();
            return Bce(1 / (1 + Math.Exp(-x)), t);
        });

        var withLogits = ElboLoss.BinaryCrossEntropyWithLogits(logits.reshape(1, 7), target.reshape(1, 7), nn.Reduction.Sum).item<double>();
        var onProbabilities = ElboLoss.BinaryCrossEntropy(logits.sigmoid().reshape(1, 7), target.reshape(1, 7), nn.Reduction.Sum).item<double>();

        withLogits.Should().BeApproximately(expected, 1e-9);
        onProbabilities.Should().BeApproximately(expected, 1e-9);
    }

    [Fact]
    public void MeanReductionIsNatsPerSampleNotPerElement()
    {
        using var scope = NewDisposeScope();
        var probabilities = full(3, 4, 0.5f);
        var target = ones(3, 4);
        // each sample: 4 pixels of -log(0.5)
        ElboLoss.BinaryCrossEntropy(probabilities, target, nn.Reduction.Mean).item<float>()
            .Should().BeApproximately((float)(4 * Math.Log(2)), 1e-5f);
        ElboLoss.BinaryCrossEntropy(probabilities, target, nn.Reduction.None).shape.Should().Equal(3);
    }

    [Fact]
    public void NegativeElboIsReconstructionPlusBetaTimesKl()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var output = new VaeOutput(randn(4, 6), randn(4, 3), randn(4, 3), randn(4, 3));
        var target = rand(4, 6);
        var reconstruction = ElboLoss.BinaryCrossEntropyWithLogits(output.DecoderOutput, target, nn.Reduction.Mean).item<float>();
        var kl = ElboLoss.KlDivergence(output.Mean, output.LogVariance, nn.Reduction.Mean).item<float>();

        var terms = ElboLoss.NegativeElbo(output, target, beta: 0.25);

        terms.Reconstruction.item<float>().Should().BeApproximately(reconstruction, 1e-4f);
        terms.Kl.item<float>().Should().BeApproximately(kl, 1e-4f);
        terms.Loss.item<float>().Should().BeApproximately(reconstruction + 0.25f * kl, 1e-4f);
    }

    // The likelihood is the output's own, not read off whether a log-variance happens to be there.
    [Fact]
    public void NegativeElboTakesTheLikelihoodTheOutputNamesAndRefusesAContradiction()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var (logits, mean, logVar, z) = (randn(4, 6), randn(4, 3), randn(4, 3), randn(4, 3));
        var target = randn(4, 6);
        var gaussian = new VaeOutput(logits, mean, logVar, z) { Likelihood = VaeLikelihood.Gaussian, ReconstructionLogVariance = tensor(0.5f) };
        ElboLoss.NegativeElbo(gaussian, target).Reconstruction.item<float>()
            .Should().BeApproximately(ElboLoss.GaussianNegativeLogLikelihood(logits, target, Math.Exp(0.5)).item<float>(), 1e-4f);

        var unnamed = new VaeOutput(logits, mean, logVar, z) { ReconstructionLogVariance = tensor(0.5f) };
        var contradiction = () => ElboLoss.NegativeElbo(unnamed, rand(4, 6));
        contradiction.Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "output" && e.Message.Contains("ReconstructionLogVariance is set") && e.Message.Contains("Bernoulli"));
        var missing = () => ElboLoss.NegativeElbo(new VaeOutput(logits, mean, logVar, z) { Likelihood = VaeLikelihood.Gaussian }, target);
        missing.Should().Throw<ArgumentException>().Where(e => e.ParamName == "output" && e.Message.Contains("needs the log-variance"));
    }

    [Fact]
    public void MismatchedShapesNameBothShapes()
    {
        using var scope = NewDisposeScope();
        var act = () => ElboLoss.BinaryCrossEntropyWithLogits(zeros(4, 784), zeros(4, 783));
        act.Should().Throw<ArgumentException>().Where(e =>
            e.ParamName == "target" && e.Message.Contains("[4, 784]") && e.Message.Contains("[4, 783]"));

        var kl = () => ElboLoss.KlDivergence(zeros(2, 20), zeros(2, 10));
        kl.Should().Throw<ArgumentException>().Where(e => e.ParamName == "logVariance" && e.Message.Contains("[2, 10]"));
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void TargetsOutsideTheUnitIntervalAreRejected(double bad)
    {
        using var scope = NewDisposeScope();
        var target = full(2, 3, 0.5f);
        target[1, 2] = tensor((float)bad);

        var withLogits = () => ElboLoss.BinaryCrossEntropyWithLogits(zeros(2, 3), target);
        var onProbabilities = () => ElboLoss.BinaryCrossEntropy(full(2, 3, 0.5f), target);

        withLogits.Should().Throw<ArgumentException>().Where(e => e.ParamName == "target");
        onProbabilities.Should().Throw<ArgumentException>().Where(e => e.ParamName == "target");
    }

    [Fact]
    public void NaNLogitsAndOutOfRangeProbabilitiesAreRejected()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(2, 3);
        logits[0, 0] = tensor(float.NaN);
        var act = () => ElboLoss.BinaryCrossEntropyWithLogits(logits, zeros(2, 3));
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "logits" && e.Message.Contains("NaN"));

        var probabilities = () => ElboLoss.BinaryCrossEntropy(full(2, 3, 1.2f), zeros(2, 3));
        probabilities.Should().Throw<ArgumentException>().Where(e => e.ParamName == "probabilities" && e.Message.Contains("1.2"));
    }
}
