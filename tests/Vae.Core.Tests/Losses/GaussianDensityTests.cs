using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

public sealed class GaussianDensityTests
{
    private static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    [Fact]
    public void StandardNormalAtOneInOneDimension()
    {
        using var scope = NewDisposeScope();
        var value = GaussianDensity.LogDensity(tensor(new[] { 1.0 }), tensor(new[] { 0.0 }), tensor(new[] { 0.0 })).item<double>();
        // log(exp(-1/2) / sqrt(2 pi))
        value.Should().BeApproximately(Math.Log(Math.Exp(-0.5) / Math.Sqrt(2 * Math.PI)), 1e-12);
    }

    [Fact]
    public void TwoDimensionsWithAVarianceOfFour()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 2.0, -1.0 });
        var mean = tensor(new[] { 1.0, 0.0 });
        var logVar = tensor(new[] { Math.Log(4), 0.0 });
        // First dimension: N(2; 1, 4) = exp(-(1)^2 / 8) / sqrt(2 pi 4); second: N(-1; 0, 1).
        var expected = Math.Log(Math.Exp(-1.0 / 8) / Math.Sqrt(2 * Math.PI * 4)) + Math.Log(Math.Exp(-0.5) / Math.Sqrt(2 * Math.PI));
        GaussianDensity.LogDensity(x, mean, logVar).item<double>().Should().BeApproximately(expected, 1e-12);
        expected.Should().BeApproximately(-3.1560242, 1e-6, "the hand-worked value is -0.125 - ln 2 - ln(2 pi) - 0.5");
    }

    [Fact]
    public void StandardLogDensityAtTheOriginIsMinusHalfDLogTwoPi()
    {
        using var scope = NewDisposeScope();
        GaussianDensity.StandardLogDensity(zeros(3, dtype: ScalarType.Float64)).item<double>().Should().BeApproximately(-1.5 * LogTwoPi, 1e-12);
    }

    [Fact]
    public void BatchedValuesMatchTheClosedFormElementByElement()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(42);
        var x = randn([2, 3, 4], dtype: ScalarType.Float64, generator: generator);
        var mean = randn([3, 4], dtype: ScalarType.Float64, generator: generator);
        var logVar = randn([3, 4], dtype: ScalarType.Float64, generator: generator);

        var actual = GaussianDensity.LogDensity(x, mean, logVar);
        var standard = GaussianDensity.StandardLogDensity(x);

        actual.shape.Should().Equal(2, 3);
        var xs = TensorAssert.ToDoubles(x);
        var ms = TensorAssert.ToDoubles(mean);
        var ls = TensorAssert.ToDoubles(logVar);
        var got = TensorAssert.ToDoubles(actual);
        var gotStandard = TensorAssert.ToDoubles(standard);
        for (var s = 0; s < 2; s++)
        for (var r = 0; r < 3; r++)
        {
            double expected = 0, expectedStandard = 0;
            for (var d = 0; d < 4; d++)
            {
                var xv = xs[(s * 3 + r) * 4 + d];
                var variance = Math.Exp(ls[r * 4 + d]);
                expected += Math.Log(Math.Exp(-(xv - ms[r * 4 + d]) * (xv - ms[r * 4 + d]) / (2 * variance)) / Math.Sqrt(2 * Math.PI * variance));
                expectedStandard += Math.Log(Math.Exp(-xv * xv / 2) / Math.Sqrt(2 * Math.PI));
            }
            got[s * 3 + r].Should().BeApproximately(expected, 1e-10);
            gotStandard[s * 3 + r].Should().BeApproximately(expectedStandard, 1e-10);
        }
    }

    [Fact]
    public void MeanThatDoesNotBroadcastIsRejectedWithBothShapes()
    {
        using var scope = NewDisposeScope();
        var act = () => GaussianDensity.LogDensity(zeros(2, 4), zeros(3), zeros(2, 4));
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("mean").And.Contain("[2, 4]").And.Contain("[3]");
    }
}
