using static TorchSharp.torch;

namespace Vae.PackageTests;

/// <summary>An anomaly detector saved in one file and loaded in one call scores and flags as the original did.</summary>
public sealed class AnomalyDetectorTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-package-detector-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void ADetectorSavedAndLoadedScoresAndFlagsTheSame()
    {
        var normal = TestData.BinaryRows(120, 16, seed: 1);
        manual_seed(3);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 16, HiddenSizes = [16], LatentSize = 2 });
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 30, BatchSize = 20, LearningRate = 1e-2, Seed = 2 }))
            trainer.Fit(normal);
        using var normalTensor = tensor(normal.SelectMany(row => row).Select(v => (float)v).ToArray(), [120, 16]);
        using var detector = AnomalyDetector.Fit(model, normalTensor, percentile: 95);

        // Rows unlike either cluster: every feature on.
        var rows = normal.Take(10).Append(Enumerable.Repeat(1.0, 16).ToArray()).ToArray();
        var expected = detector.Detect(rows);
        expected[^1].IsAnomalous.Should().BeTrue();

        var path = Path.Combine(directory, "detector.vae");
        detector.Save(path);
        using var loaded = AnomalyDetector.Load(path);

        loaded.Threshold.Should().Be(detector.Threshold);
        loaded.ScoreKind.Should().Be(detector.ScoreKind);
        loaded.Detect(rows).Should().Equal(expected);
        loaded.ScoreRow(rows[^1]).Should().BeApproximately(expected[^1].Score, 1e-4, "one row alone may round differently from a batch");
    }
}
