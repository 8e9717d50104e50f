using Vae.Samples.Rendering;

namespace Vae.Mnist.Tests;

public sealed class LossPlotTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(800, 500)]
    [InlineData(420, 300)]
    public void WritesAPngOfTheRequestedSize(int width, int height)
    {
        var path = folder.File("loss.png");

        LossPlot.Save(path, [210.5, 150.2, 131.0], [205.0, 152.3, 137.9], width, height);

        using var bitmap = Png.Decode(path);
        bitmap.Width.Should().Be(width);
        bitmap.Height.Should().Be(height);
        folder.Names().Should().Equal("loss.png");
    }

    [Theory]
    [InlineData(100.0, 200.0)]
    [InlineData(200.0, 100.0)]
    public void ALargerLossIsDrawnHigher(double first, double second)
    {
        var path = folder.File("two-epochs.png");

        LossPlot.Save(path, [first, second]);

        using var bitmap = Png.Decode(path);
        var line = Png.PixelsOf(bitmap, Palette.TrainingLoss);
        line.Should().NotBeEmpty();
        // Epoch 1 is the leftmost point of the line and epoch 2 the rightmost; the legend sits between them.
        var left = line.Min(p => p.X);
        var right = line.Max(p => p.X);
        var firstY = line.Where(p => p.X <= left + 3).Average(p => p.Y);
        var secondY = line.Where(p => p.X >= right - 3).Average(p => p.Y);
        if (second > first) secondY.Should().BeLessThan(firstY - 50, "image y grows downward");
        else firstY.Should().BeLessThan(secondY - 50, "image y grows downward");
    }

    [Fact]
    public void OneEpochStillShowsBothPoints()
    {
        var path = folder.File("one-epoch.png");

        LossPlot.Save(path, [187.4], [181.9]);

        using var bitmap = Png.Decode(path);
        var training = Png.PixelsOf(bitmap, Palette.TrainingLoss);
        var test = Png.PixelsOf(bitmap, Palette.TestLoss);
        training.Should().NotBeEmpty();
        test.Should().NotBeEmpty();
        // Away from the legend (the bottom rows), the higher training loss sits above the test loss.
        var legendTop = bitmap.Height - 40;
        training.Where(p => p.Y < legendTop).Average(p => p.Y)
            .Should().BeLessThan(test.Where(p => p.Y < legendTop).Average(p => p.Y));
    }

    [Fact]
    public void ManyEpochsWithADivergedOneStillRender()
    {
        var losses = Enumerable.Range(1, 300).Select(e => e == 150 ? double.NaN : 90 + 100.0 / e).ToArray();
        var path = folder.File("long.png");

        LossPlot.Save(path, losses, width: 640, height: 400);

        using var bitmap = Png.Decode(path);
        bitmap.Width.Should().Be(640);
        Png.PixelsOf(bitmap, Palette.TrainingLoss).Should().NotBeEmpty();
    }

    [Fact]
    public void RejectsAnEmptyHistory()
    {
        var act = () => LossPlot.Save(folder.File("empty.png"), []);

        act.Should().Throw<ArgumentException>();
        folder.Names().Should().BeEmpty();
    }
}
