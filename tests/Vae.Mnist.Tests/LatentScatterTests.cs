using SkiaSharp;
using TorchSharp;
using Vae.Samples.Rendering;

namespace Vae.Mnist.Tests;

public sealed class LatentScatterTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void WritesAPngOfTheRequestedSizeWithEveryDigitInTheLegend()
    {
        var labels = Enumerable.Range(0, 30).Select(i => i % 10).ToArray();
        var points = Enumerable.Range(0, 60).Select(i => (float)Math.Sin(i * 1.7)).ToArray();
        var path = folder.File("scatter.png");

        LatentScatter.Save(path, points, labels, width: 500, height: 420);

        using var bitmap = Png.Decode(path);
        bitmap.Width.Should().Be(500);
        bitmap.Height.Should().Be(420);
        foreach (var colour in Palette.Digits)
            Png.PixelsOf(bitmap, colour).Should().NotBeEmpty($"the legend shows {colour} at full strength");
        folder.Names().Should().Equal("scatter.png");
    }

    [Fact]
    public void PointsGoWhereTheirCodesSay()
    {
        // Swapping the labels of two points changes only the dots, so the pixels that differ are the dots themselves.
        float[] points = [-1f, -1f, 1f, 1f];
        var a = folder.File("a.png");
        var b = folder.File("b.png");
        LatentScatter.Save(a, points, [0, 1]);
        LatentScatter.Save(b, points, [1, 0]);

        using var first = Png.Decode(a);
        using var second = Png.Decode(b);
        var blue = new List<(int X, int Y)>();
        var orange = new List<(int X, int Y)>();
        for (var y = 0; y < first.Height; y++)
        {
            for (var x = 0; x < first.Width; x++)
            {
                var pixel = first.GetPixel(x, y);
                if (pixel == second.GetPixel(x, y)) continue;
                if (pixel.Blue > pixel.Red + 60) blue.Add((x, y));
                else if (pixel.Red > pixel.Blue + 60) orange.Add((x, y));
            }
        }

        blue.Should().NotBeEmpty();
        orange.Should().NotBeEmpty();
        // Digit 0 (blue) is at (-1, -1): left of and below digit 1 (orange) at (1, 1).
        blue.Average(p => p.X).Should().BeLessThan(orange.Average(p => p.X) - 50);
        blue.Average(p => p.Y).Should().BeGreaterThan(orange.Average(p => p.Y) + 50);
    }

    [Fact]
    public void TensorInputMatchesArrayInput()
    {
        float[] points = [0.5f, -0.2f, -1.3f, 0.9f, 2.1f, 1.4f];
        int[] labels = [3, 7, 9];
        var fromArray = folder.File("array.png");
        var fromTensor = folder.File("tensor.png");

        LatentScatter.Save(fromArray, points, labels);
        using (var means = torch.tensor(points, [3, 2]))
        using (var labelTensor = torch.tensor(labels.Select(l => (long)l).ToArray()))
            LatentScatter.Save(fromTensor, means, labelTensor);

        using var a = Png.Decode(fromArray);
        using var b = Png.Decode(fromTensor);
        b.Pixels.Should().Equal(a.Pixels);
    }

    [Fact]
    public void RejectsLabelsThatAreNotDigits()
    {
        var act = () => LatentScatter.Save(folder.File("bad.png"), [0f, 0f], [10]);

        act.Should().Throw<ArgumentException>().WithMessage("*0-9*");
    }
}
