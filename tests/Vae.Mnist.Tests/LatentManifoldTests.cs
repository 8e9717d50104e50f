using TorchSharp;
using Vae.Samples.Rendering;

namespace Vae.Mnist.Tests;

public sealed class LatentManifoldTests
{
    [Theory]
    [InlineData(1e-9)]
    [InlineData(1e-4)]
    [InlineData(0.02)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    [InlineData(0.99)]
    [InlineData(1 - 1e-7)]
    public void NormalQuantileInvertsTheNormalDistribution(double p)
    {
        var quantile = LatentManifold.NormalQuantile(p);

        using var z = torch.tensor(quantile, torch.float64);
        using var cdf = torch.special.ndtr(z);
        cdf.item<double>().Should().BeApproximately(p, p * 1e-6);
    }

    [Fact]
    public void GridPointsSitAtQuantilesWithZ1RightAndZ2Up()
    {
        const int size = 5;
        var points = LatentManifold.GridPoints(size);

        points.Should().HaveCount(size * size * 2);
        using var all = torch.tensor(points, [size * size, 2], torch.float32).to_type(torch.float64);
        using var cdf = torch.special.ndtr(all);
        var probabilities = cdf.data<double>().ToArray();
        for (var row = 0; row < size; row++)
        {
            for (var column = 0; column < size; column++)
            {
                var at = (row * size + column) * 2;
                probabilities[at].Should().BeApproximately((column + 0.5) / size, 1e-6, "z1 grows to the right");
                probabilities[at + 1].Should().BeApproximately((size - row - 0.5) / size, 1e-6, "z2 grows upward");
            }
        }
    }

    [Fact]
    public void GridTensorHasOneRowPerPoint()
    {
        using var grid = LatentManifold.GridTensor(4);

        grid.shape.Should().Equal(16, 2);
        grid.data<float>().ToArray().Should().Equal(LatentManifold.GridPoints(4));
    }
}
