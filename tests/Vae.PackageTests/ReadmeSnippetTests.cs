using System.Reflection;
using TorchSharp;
using Vae.Core.Data;

namespace Vae.PackageTests;

/// <summary>
/// README's first snippet, as written, against the package: here on the 10,000 digits shipped in samples/data/mnist-10k
/// (the README downloads the full MNIST into the same layout with <see cref="MnistDownloader.DownloadAsync"/>), for
/// one epoch instead of ten.
/// </summary>
public sealed class ReadmeSnippetTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-package-readme-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string ShippedDigits => typeof(ReadmeSnippetTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "VaeShippedDigits").Value!;

    [Fact]
    public void TheFirstSnippetRunsOnTheShippedDigits()
    {
        var mnist = ShippedDigits;
        using var train = MnistDataset.Load(mnist, MnistSplit.Train);   // images [N, 784] in [0, 1]
        using var test = MnistDataset.Load(mnist, MnistSplit.Test);

        torch.manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { HiddenSizes = [400], LatentSize = 20 });
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 128 });
        var result = trainer.Fit(train.Images, test.Images, progress: null, CancellationToken.None);

        model.Save(Path.Combine(directory, "mnist.vae"));
        using var digits = model.Sample(64);
        using var codes = model.Encode(test.Images);
        using var detector = AnomalyDetector.Fit(model, test.Images, percentile: 99);

        result.Last.Validation!.Loss.Should().BeInRange(100, 250, "one epoch on 8,000 digits already beats the untrained 543 nats");
        digits.shape.Should().Equal(64, 784);
        codes.shape.Should().Equal(2000, 20);
        using var loaded = VariationalAutoencoder.Load(Path.Combine(directory, "mnist.vae"));
        loaded.Options.Should().Be(model.Options);
    }
}
