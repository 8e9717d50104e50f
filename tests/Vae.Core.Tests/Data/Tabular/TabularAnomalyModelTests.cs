using Vae.Core.Data;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data.Tabular;

/// <summary>A VAE with its preprocessing: training on tables, scoring raw rows, and the model file.</summary>
public sealed class TabularAnomalyModelTests : IDisposable
{
    private readonly TempFolder directory = new();

    public void Dispose() => directory.Dispose();

    private static readonly TabularRowFilter NormalRows = (_, label) => label == "normal";

    [Fact]
    public void AGaussianVaeFindsOutliersPlantedInAGeneratedTable()
    {
        var trainPath = TabularFiles.PlantedOutliers(directory, "train.csv", normalRows: 2000, outlierRows: 0, seed: 1);
        var testPath = TabularFiles.PlantedOutliers(directory, "test.csv", normalRows: 500, outlierRows: 50, seed: 2);
        using var train = TabularDataset.Load(trainPath, new TabularOptions { LabelColumn = "label" });
        using var test = TabularDataset.Load(testPath, train.Preprocessor);

        using var detector = TabularAnomalyModel.Train(train, trainerOptions: new VaeTrainerOptions { Epochs = 30, BatchSize = 64, Seed = 1 });
        var scores = detector.Score(test);

        detector.Model.Options.Likelihood.Should().Be(VaeLikelihood.Gaussian);
        detector.Model.Options.LearnGaussianVariance.Should().BeTrue();
        AnomalyMetrics.RocAuc(scores, test.Labels.Select(l => l == "outlier").ToArray()).Should().BeGreaterThan(0.95);
    }

    [Fact]
    public void ALoadedModelScoresRawRowsExactlyAsBeforeSaving()
    {
        var path = TabularFiles.Write(directory, "t.csv",
            "id,amount,country,constant,label\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"{i},{(i * 37 % 101) * 1.5},{(i % 3 == 0 ? "NL" : i % 3 == 1 ? "DE" : "FR")},7,normal\n")));
        var options = new TabularOptions { LabelColumn = "label", IgnoreColumns = ["id"], RowFilter = NormalRows };
        using var train = TabularDataset.Load(path, options);
        using var detector = TabularAnomalyModel.Train(train, trainerOptions: new VaeTrainerOptions { Epochs = 2, BatchSize = 32 });
        detector.Threshold = detector.ThresholdAtPercentile(train, 90);
        var row = new Dictionary<string, string?> { ["amount"] = "912.5", ["country"] = "DE", ["constant"] = "7", ["id"] = "x" };
        var before = (Dictionary: detector.Score(row), Array: detector.Score(["912.5", "DE", "7"]), Line: detector.ScoreCsvLine("912.5,DE,7"),
            File: detector.ScoreCsv(path).Select(s => s.Score).ToArray());
        var modelPath = directory.File("table.vae");

        detector.Save(modelPath);
        using var loaded = TabularAnomalyModel.Load(modelPath);

        loaded.Threshold.Should().Be(detector.Threshold);
        loaded.Preprocessor.FeatureNames.Should().Equal("amount", "country=DE", "country=FR", "country=NL", "constant");
        loaded.Score(row).Should().Be(before.Dictionary);
        loaded.Score(["912.5", "DE", "7"]).Should().Be(before.Array);
        loaded.ScoreCsvLine("912.5,DE,7").Should().Be(before.Line);
        before.Array.Should().Be(before.Dictionary);
        loaded.ScoreCsv(path).Select(s => s.Score).Should().Equal(before.File);
        loaded.ScoreCsv(path).Select(s => s.Line).Should().Equal(Enumerable.Range(2, 200).Select(l => (long)l));
    }

    [Fact]
    public void APlainModelFileIsNotATabularOne()
    {
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 3, HiddenSizes = [4], LatentSize = 2 });
        var path = directory.File("plain.vae");
        model.Save(path);

        var load = () => TabularAnomalyModel.Load(path);

        load.Should().Throw<InvalidDataException>().WithMessage("*without tabular preprocessing*");
    }

    [Fact]
    public void AModelTrainsFromAStreamedFile()
    {
        var path = TabularFiles.PlantedOutliers(directory, "train.csv", normalRows: 2000, outlierRows: 0, seed: 1);
        var testPath = TabularFiles.PlantedOutliers(directory, "test.csv", normalRows: 500, outlierRows: 50, seed: 2);
        var preprocessor = TabularPreprocessor.Fit(path, new TabularOptions { LabelColumn = "label" });
        var stream = new TabularBatchStream(path, preprocessor, batchSize: 64, shuffleBufferRows: 500, seed: 1);

        using var detector = TabularAnomalyModel.Train(stream, trainerOptions: new VaeTrainerOptions { Epochs = 30, Seed = 1 });
        using var test = TabularDataset.Load(testPath, preprocessor);

        detector.Model.Options.InputSize.Should().Be(10);
        AnomalyMetrics.RocAuc(detector.Score(test), test.Labels.Select(l => l == "outlier").ToArray()).Should().BeGreaterThan(0.95);
    }

    [Fact]
    public void AModelOfTheWrongWidthIsRefused()
    {
        var path = TabularFiles.Write(directory, "t.csv", "a,b\n1,2\n3,4\n");
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 3, HiddenSizes = [4], LatentSize = 2 });

        var pair = () => new TabularAnomalyModel(model, TabularPreprocessor.Fit(path));

        pair.Should().Throw<ArgumentException>().WithMessage("The model takes 3 features but the preprocessing makes 2*");
    }
}
