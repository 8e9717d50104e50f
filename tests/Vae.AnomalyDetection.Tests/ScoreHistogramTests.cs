using SkiaSharp;
using Vae.Samples.Rendering;

namespace Vae.AnomalyDetection.Tests;

public sealed class ScoreHistogramTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("vae-histogram-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void AHeavyTailAndANegativeScoreStillGiveAPictureOfTheAskedSize()
    {
        var path = Path.Combine(folder, "scores.png");
        double[] normal = [-3, 1, 2, 2.5, 3, double.NaN];
        double[] anomalous = [4, 8, 12, 1700];

        ScoreHistogram.Save(path, normal, anomalous, threshold: 3.2, width: 640, height: 400);

        using var bitmap = SKBitmap.Decode(path);
        bitmap.Width.Should().Be(640);
        bitmap.Height.Should().Be(400);
        Directory.GetFiles(folder).Should().ContainSingle("the picture is written through a temporary file that is renamed");
    }

    [Fact]
    public void NoFiniteScoreIsAnError()
    {
        var save = () => ScoreHistogram.Save(Path.Combine(folder, "x.png"), [double.NaN], [], 1);

        save.Should().Throw<ArgumentException>().WithMessage("There is no finite score to draw*");
    }
}
