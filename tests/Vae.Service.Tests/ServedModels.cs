using Vae.Core;
using Vae.Core.Data;
using static TorchSharp.torch;

namespace Vae.Service.Tests;

/// <summary>
/// A conditional 784-64-2 model trained for a few epochs on 2,000 of the shipped digits and saved as a detector, as the
/// page wants it (a 2-D latent plane, classes to choose), and a small unconditional model that is not an image.
/// </summary>
public sealed class ServedModels : IDisposable
{
    public ServedModels()
    {
        Directory.CreateDirectory(Folder);
        using var scope = NewDisposeScope();
        using var train = MnistDataset.Load(Path.Combine(AppContext.BaseDirectory, "data", "mnist-10k"), MnistSplit.Train);
        var images = train.Images[..2000];
        var rows = ConditionalData.Join(images, train.Labels[..2000], MnistDataset.ClassCount);
        manual_seed(5);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 784, HiddenSizes = [64], LatentSize = 2, ConditionClasses = MnistDataset.ClassCount });
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 4, BatchSize = 100, Seed = 5 })) trainer.Fit(rows);
        var detector = AnomalyDetector.Fit(model, rows[..500], percentile: 99);
        detector.Save(Digits);
        Threshold = detector.Threshold;
        TestRows = ArrayRows(rows[1500..1503]);

        manual_seed(6);
        using var table = new VariationalAutoencoder(new VaeOptions { InputSize = 5, HiddenSizes = [4], LatentSize = 3 });
        table.Save(Table);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "vae-service-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>The conditional digit detector.</summary>
    public string Digits => Path.Combine(Folder, "digits.vae");

    /// <summary>A 5-feature unconditional model without a detector.</summary>
    public string Table => Path.Combine(Folder, "table.vae");

    public double Threshold { get; }

    /// <summary>Three training rows (784 pixels then the one-hot label).</summary>
    public float[][] TestRows { get; }

    /// <summary>The library's scores of <paramref name="rows"/> under the digit detector.</summary>
    public double[] LibraryScores(float[][] rows)
    {
        using var detector = AnomalyDetector.Load(Digits);
        using var scope = NewDisposeScope();
        return detector.Score(tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]));
    }

    private static float[][] ArrayRows(Tensor rows) =>
        Enumerable.Range(0, (int)rows.shape[0]).Select(i => rows[i].data<float>().ToArray()).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServedModelsCollection : ICollectionFixture<ServedModels>
{
    public const string Name = "Served models";
}
