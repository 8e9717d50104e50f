using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

public sealed class LatentInterpolationTests
{
    private static readonly VaeOptions Options = new() { InputSize = 10, HiddenSizes = [6], LatentSize = 3 };

    private static VariationalAutoencoder NewModel()
    {
        torch.manual_seed(12);
        return new VariationalAutoencoder(Options);
    }

    [Fact]
    public void StepsBetweenInputsDecodeEvenlySpacedPointsBetweenTheirPosteriorMeans()
    {
        using var model = NewModel();
        using var scope = NewDisposeScope();
        var generator = new Generator(4);
        var a = rand([Options.InputSize], generator: generator);
        var b = rand([1, Options.InputSize], generator: generator);

        var path = LatentInterpolation.BetweenInputs(model, a, b, 5);

        path.shape.Should().Equal(5, Options.InputSize);
        var za = model.Encode(a.unsqueeze(0));
        var zb = model.Encode(b);
        for (var i = 0; i < 5; i++)
        {
            var expected = model.Decode(za + (i / 4.0) * (zb - za));
            path[i].unsqueeze(0).allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue($"step {i}");
        }
        path[0].unsqueeze(0).allclose(model.Reconstruct(a.unsqueeze(0)), rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        path[4].unsqueeze(0).allclose(model.Reconstruct(b), rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void CodesAreExactAtBothEnds()
    {
        using var scope = NewDisposeScope();
        var start = tensor(new[] { 0.1f, -2.7f, 3.3f }).unsqueeze(0);
        var end = tensor(new[] { 1.9f, 0.3f, -4.1f }).unsqueeze(0);
        var codes = LatentInterpolation.Codes(start, end, 4);
        TensorAssert.Identical(codes[0].unsqueeze(0), start).Should().BeTrue();
        TensorAssert.Identical(codes[3].unsqueeze(0), end).Should().BeTrue();
        // One third of the way: 0.1 + (1.9 - 0.1) / 3 = 0.7.
        codes[1, 0].item<float>().Should().BeApproximately(0.7f, 1e-6f);
    }

    [Fact]
    public void StepsBetweenCodesDecodeTheMidpoint()
    {
        using var model = NewModel();
        using var scope = NewDisposeScope();
        var from = tensor(new[] { -1f, 0f, 2f });
        var to = tensor(new[] { 3f, 1f, 0f });

        var path = LatentInterpolation.BetweenCodes(model, from, to, 3);

        path.shape.Should().Equal(3, Options.InputSize);
        var midpoint = model.Decode(tensor(new[] { 1f, 0.5f, 1f }).unsqueeze(0));
        path[1].unsqueeze(0).allclose(midpoint, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        ((double)path.min().item<float>()).Should().BeGreaterThanOrEqualTo(0);
        ((double)path.max().item<float>()).Should().BeLessThanOrEqualTo(1);
    }

    [Fact]
    public void WrongShapesAndStepCountsAreRejected()
    {
        using var model = NewModel();
        using var scope = NewDisposeScope();
        var ok = zeros(Options.InputSize);
        var act = () => LatentInterpolation.BetweenInputs(model, zeros(2, Options.InputSize), ok, 3);
        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "from" && e.Message.Contains("[2, 10]"));
        var codes = () => LatentInterpolation.BetweenCodes(model, zeros(3), zeros(4), 3);
        codes.Should().Throw<ArgumentException>().Where(e => e.ParamName == "to" && e.Message.Contains("[4]"));
        var oneStep = () => LatentInterpolation.BetweenInputs(model, ok, ok, 1);
        oneStep.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("steps");
    }
}
