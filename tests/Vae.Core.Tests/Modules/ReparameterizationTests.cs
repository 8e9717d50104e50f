using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Xunit;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

public class ReparameterizationTests
{
    private static Tensor Noise(long seed, long[] shape)
    {
        using var generator = new Generator((ulong)seed);
        return randn(shape, generator: generator);
    }

    private static Tensor Draw(Tensor mean, Tensor logVar, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return Reparameterization.Sample(mean, logVar, generator);
    }

    [Fact]
    public void SampleIsMeanPlusNoiseTimesStandardDeviation()
    {
        using var scope = NewDisposeScope();
        var mean = tensor(new[] { 1f, -2f, 0.5f }).reshape(1, 3);
        var logVar = tensor(new[] { 0f, 2f, -1f }).reshape(1, 3);
        var eps = Noise(11, [1, 3]).data<float>().ToArray();

        var z = Draw(mean, logVar, 11).data<float>().ToArray();

        float[] m = [1f, -2f, 0.5f];
        float[] lv = [0f, 2f, -1f];
        for (var i = 0; i < 3; i++)
            z[i].Should().BeApproximately(m[i] + eps[i] * MathF.Exp(0.5f * lv[i]), 1e-6f);
    }

    [Fact]
    public void GradientsAreOneForTheMeanAndHalfEpsTimesStdForTheLogVariance()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var mean = randn(4, 5).requires_grad_();
        var logVar = randn(4, 5).requires_grad_();

        Draw(mean, logVar, 7).sum().backward();

        var eps = Noise(7, [4, 5]);
        var expected = 0.5f * eps * (0.5f * logVar.detach()).exp();
        mean.grad!.allclose(ones(4, 5)).Should().BeTrue();
        logVar.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void GradientOfTheLogVarianceMatchesCentralDifferences()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var mean = randn(3, 4, dtype: ScalarType.Float64);
        var logVar = randn(3, 4, dtype: ScalarType.Float64).requires_grad_();
        Draw(mean, logVar, 9).sum().backward();

        const double h = 1e-6;
        var plus = Draw(mean, logVar.detach() + h, 9);
        var minus = Draw(mean, logVar.detach() - h, 9);
        var numeric = (plus - minus) / (2 * h);

        logVar.grad!.allclose(numeric, rtol: 1e-6, atol: 1e-8).Should().BeTrue();

        var meanNumeric = (Draw(mean + h, logVar.detach(), 9) - Draw(mean - h, logVar.detach(), 9)) / (2 * h);
        meanNumeric.allclose(ones_like(meanNumeric), rtol: 1e-6, atol: 1e-8).Should().BeTrue();
    }

    [Fact]
    public void TheSameGeneratorSeedGivesTheSameSample()
    {
        using var scope = NewDisposeScope();
        var mean = zeros(2, 8);
        var logVar = zeros(2, 8);
        Draw(mean, logVar, 3).eq(Draw(mean, logVar, 3)).all().item<bool>().Should().BeTrue();
        Draw(mean, logVar, 3).eq(Draw(mean, logVar, 4)).all().item<bool>().Should().BeFalse();
    }

    [Fact]
    public void MismatchedShapesAreRejected()
    {
        using var scope = NewDisposeScope();
        var act = () => Reparameterization.Sample(zeros(2, 8), zeros(2, 7));
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "logVariance" && e.Message.Contains("[2, 7]"));
    }
}
