using System.Globalization;
using Vae.Core.Data;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data.Tabular;

/// <summary>Tables in memory (dictionaries per row, or numbers with column names) go through the same preprocessing as files.</summary>
public sealed class TabularInMemoryTests : IDisposable
{
    private readonly TempFolder directory = new();

    public void Dispose() => directory.Dispose();

    private static (string Amount, string Channel, string Label)[] Table() => Enumerable.Range(0, 60).Select(i => (
        (10 + i % 7 + i * 0.25).ToString("R", CultureInfo.InvariantCulture), i % 3 == 0 ? "web" : "shop", i < 50 ? "normal" : "odd")).ToArray();

    private static List<IReadOnlyDictionary<string, object?>> Dictionaries() => Table().Select(r => (IReadOnlyDictionary<string, object?>)
        new Dictionary<string, object?> { ["amount"] = double.Parse(r.Amount, CultureInfo.InvariantCulture), ["channel"] = r.Channel, ["label"] = r.Label }).ToList();

    private string File()
    {
        var path = directory.File("table.csv");
        System.IO.File.WriteAllText(path, "amount,channel,label\n" + string.Concat(Table().Select(r => $"{r.Amount},{r.Channel},{r.Label}\n")));
        return path;
    }

    private static readonly TabularOptions Options = new() { LabelColumn = "label", RowFilter = (_, label) => label == "normal" };

    [Fact]
    public void RowsInMemoryGiveTheFilesPreprocessingFeaturesAndScores()
    {
        var fromFile = TabularPreprocessor.Fit(File(), Options);
        var fromRows = TabularPreprocessor.Fit(Dictionaries(), Options);
        fromRows.ToJson().Should().Be(fromFile.ToJson());

        using var fileData = TabularDataset.Load(File(), Options);
        using var rowData = TabularDataset.Load(Dictionaries(), Options);
        TensorAssert.Identical(rowData.Features, fileData.Features).Should().BeTrue();
        rowData.Labels.Should().Equal(fileData.Labels);

        using var detector = TabularAnomalyModel.Train(fileData, trainerOptions: new VaeTrainerOptions { Epochs = 2, BatchSize = 16, Seed = 1 });
        using var all = TabularDataset.Load(File(), detector.Preprocessor);
        detector.Score(Dictionaries()).Should().Equal(detector.Score(all));
    }

    [Fact]
    public void NumbersWithColumnNamesAreATable()
    {
        string[] columns = ["a", "b"];
        var rows = Enumerable.Range(0, 30).Select(i => new double[] { i * 0.5, i % 4 }).ToArray();
        var path = directory.File("numbers.csv");
        System.IO.File.WriteAllText(path, "a,b\n" + string.Concat(rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r[0]:R},{r[1]:R}\n"))));

        TabularPreprocessor.Fit(columns, rows).ToJson().Should().Be(TabularPreprocessor.Fit(path).ToJson());
        using var fromFile = TabularDataset.Load(path);
        using var fromRows = TabularDataset.Load(columns, rows);
        TensorAssert.Identical(fromRows.Features, fromFile.Features).Should().BeTrue();
        using var detector = TabularAnomalyModel.Train(fromFile, trainerOptions: new VaeTrainerOptions { Epochs = 1, BatchSize = 16, Seed = 1 });
        detector.Score(columns, rows).Should().Equal(detector.Score(fromFile));
    }

    [Fact]
    public void ErrorsNameTheRowAndTheColumn()
    {
        var rows = Dictionaries();
        rows[2] = new Dictionary<string, object?> { ["amount"] = "twelve", ["channel"] = "web", ["label"] = "normal" };
        var text = () => TabularPreprocessor.Fit(rows, Options);
        text.Should().Throw<TabularDataException>().WithMessage("rows[2], column 'amount': 'twelve' is not a number*")
            .Which.Line.Should().BeNull();

        rows[2] = new Dictionary<string, object?> { ["amount"] = 3.0, ["label"] = "normal" };
        var missing = () => TabularPreprocessor.Fit(rows, Options);
        missing.Should().Throw<TabularDataException>().WithMessage("rows[2], column 'channel': the row has no value*");

        rows[2] = new Dictionary<string, object?> { ["amount"] = null, ["channel"] = "web", ["label"] = "normal" };
        var empty = () => TabularPreprocessor.Fit(rows, Options);
        empty.Should().Throw<TabularDataException>().WithMessage("rows[2], column 'amount': the value is missing*");

        var ragged = () => TabularPreprocessor.Fit(["a", "b"], [[1.0, 2.0], [3.0]]);
        ragged.Should().Throw<TabularDataException>().WithMessage("rows[1]: the row has 1 value(s) but there are 2 column(s).");
        var nan = () => TabularDataset.Load(["a", "b"], [[1.0, 2.0], [double.NaN, 1.0]]);
        nan.Should().Throw<TabularDataException>().WithMessage("rows[1], column 'a': 'NaN' is not a finite number*");
    }
}
