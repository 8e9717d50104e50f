using System.Globalization;
using Vae.Core.Data;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data.Tabular;

/// <summary>What the preprocessing learns from training rows, how it encodes a row, and how it reports bad input.</summary>
public sealed class TabularPreprocessorTests : IDisposable
{
    private readonly TempFolder directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void NumbersAreStandardisedWithThePopulationStatisticsAndAConstantColumnIsOnlyCentred()
    {
        var path = TabularFiles.Write(directory, "t.csv", "a,b,label\n1,5,x\n2,5,y\n3,5,x\n6,5,x\n");

        var preprocessor = TabularPreprocessor.Fit(path, new TabularOptions { LabelColumn = "label" });

        preprocessor.Columns.Select(c => c.Name).Should().Equal("a", "b");
        var a = preprocessor.Columns[0];
        a.Mean.Should().Be(3);
        a.StandardDeviation.Should().BeApproximately(Math.Sqrt((4 + 1 + 0 + 9) / 4.0), 1e-15);
        preprocessor.Columns[1].StandardDeviation.Should().Be(0);
        preprocessor.Columns[1].IsScaled.Should().BeFalse();
        var features = preprocessor.Transform(new Dictionary<string, string?> { ["a"] = "4", ["b"] = "7.5", ["label"] = "ignored" });
        features[0].Should().BeApproximately((float)(1 / a.StandardDeviation), 1e-6f);
        features[1].Should().Be(2.5f, "a constant column is centred, never divided by its zero deviation");
    }

    [Fact]
    public void TextColumnsAndNamedCodeColumnsAreOneHotOverTheirSortedVocabulary()
    {
        var path = TabularFiles.Write(directory, "t.csv", "colour,code,size\nred,2,1\nblue,1,2\nred,3,3\ngreen,2,4\n");

        var preprocessor = TabularPreprocessor.Fit(path, new TabularOptions { CategoricalColumns = ["code"] });

        preprocessor.Columns[0].Kind.Should().Be(TabularColumnKind.Categorical);
        preprocessor.Columns[0].Categories.Should().Equal("blue", "green", "red");
        preprocessor.Columns[0].MostFrequent.Should().Be("red");
        preprocessor.Columns[1].Categories.Should().Equal("1", "2", "3");
        preprocessor.FeatureCount.Should().Be(7);
        preprocessor.FeatureNames.Should().Equal("colour=blue", "colour=green", "colour=red", "code=1", "code=2", "code=3", "size");
        preprocessor.Transform(["green", "3", "2.5"]).Should().Equal(0, 1, 0, 0, 0, 1, 0);
        preprocessor.TransformCsvLine("\"green\",3,2.5").Should().Equal(0, 1, 0, 0, 0, 1, 0);
    }

    [Fact]
    public void ImputationFillsMissingNumbersWithTheMeanAndUnknownCategoriesWithTheMostFrequent()
    {
        var path = TabularFiles.Write(directory, "t.csv", "n,c\n1,a\n,b\n5,b\n");

        var preprocessor = TabularPreprocessor.Fit(path, new TabularOptions { MissingValues = TabularMissingValues.Impute });

        preprocessor.Columns[0].Mean.Should().Be(3, "an empty field is not counted");
        preprocessor.Transform(["", "purple"]).Should().Equal(0, 0, 1);
        preprocessor.Transform([null, ""]).Should().Equal(0, 0, 1);
        TabularPreprocessor.FromJson(preprocessor.ToJson()).MissingValues.Should().Be(TabularMissingValues.Impute);
    }

    [Fact]
    public void TheJsonRoundTripsEveryStatisticExactly()
    {
        var path = TabularFiles.Write(directory, "t.csv", "a,c,label\n0.1,x,1\n0.7,y,0\n1e-3,x,0\n");
        var preprocessor = TabularPreprocessor.Fit(path, new TabularOptions { LabelColumn = "label" });

        var copy = TabularPreprocessor.FromJson(preprocessor.ToJson());

        copy.LabelColumn.Should().Be("label");
        copy.Columns.Should().HaveCount(2);
        for (var i = 0; i < 2; i++)
        {
            copy.Columns[i].Mean.Should().Be(preprocessor.Columns[i].Mean);
            copy.Columns[i].StandardDeviation.Should().Be(preprocessor.Columns[i].StandardDeviation);
            copy.Columns[i].Categories.Should().Equal(preprocessor.Columns[i].Categories);
        }
        copy.Transform(["0.25", "y"]).Should().Equal(preprocessor.Transform(["0.25", "y"]));
    }

    [Fact]
    public void TheRowFilterChoosesTheRowsTheStatisticsComeFrom()
    {
        var path = TabularFiles.Write(directory, "t.csv", "a,label\n1,n\n100,a\n3,n\n");

        var preprocessor = TabularPreprocessor.Fit(path, new TabularOptions { LabelColumn = "label", RowFilter = (_, label) => label == "n" });

        preprocessor.Columns[0].Mean.Should().Be(2);
    }

    public static TheoryData<string, string, string, string?> BadFiles => new()
    {
        { "ragged row", "a,b\n1,2\n3\n", "line 3", null },
        { "text in a numeric column", "a,b\n1,2\n3,abc\n", "line 3", "'b'" },
        { "NaN", "a,b\n1,2\nNaN,4\n", "line 3", "'a'" },
        { "infinity", "a,b\n1,2\n3,1e999\n", "line 3", "'b'" },
        { "missing value", "a,b\n1,2\n,4\n", "line 3", "'a'" },
        { "empty file", "", "line 1", null },
        { "header only", "a,b\n", "no data rows", null },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadInputIsAnErrorNamingTheFileTheLineAndTheColumn(string problem, string content, string where, string? column)
    {
        var path = TabularFiles.Write(directory, "bad.csv", content);

        var fit = () => TabularPreprocessor.Fit(path);

        var error = fit.Should().Throw<TabularDataException>().Which;
        error.Message.Should().Contain(path, problem).And.Contain(where, problem);
        if (column is not null) error.Message.Should().Contain($"column {column}", problem);
    }

    [Fact]
    public void AMissingNamedColumnIsAnErrorListingTheColumnsThereAre()
    {
        var path = TabularFiles.Write(directory, "t.csv", "a,b\n1,2\n");

        var fit = () => TabularPreprocessor.Fit(path, new TabularOptions { LabelColumn = "class" });

        fit.Should().Throw<TabularDataException>().WithMessage($"{path}, line 1, column 'class': the header has no label column of that name*'a', 'b'*");
    }

    [Fact]
    public void RowsGivenInMemoryAreCheckedToo()
    {
        var path = TabularFiles.Write(directory, "t.csv", "n,c\n1,a\n2,b\n");
        var preprocessor = TabularPreprocessor.Fit(path);

        FluentActions.Invoking(() => preprocessor.Transform(["1", "z"])).Should().Throw<TabularDataException>()
            .WithMessage("row, column 'c': 'z' is a category the training rows never had*");
        FluentActions.Invoking(() => preprocessor.Transform(["", "a"])).Should().Throw<TabularDataException>().WithMessage("row, column 'n': the value is missing*");
        FluentActions.Invoking(() => preprocessor.Transform(["1"])).Should().Throw<TabularDataException>().WithMessage("row: the row has 1 value(s) but the model has 2*");
        FluentActions.Invoking(() => preprocessor.Transform(new Dictionary<string, string?> { ["n"] = "1" })).Should().Throw<TabularDataException>().WithMessage("row, column 'c'*");
        FluentActions.Invoking(() => preprocessor.TransformCsvLine("1,a,3")).Should().Throw<TabularDataException>().WithMessage("CSV line: the row has 3 value(s)*");
    }

    [Fact]
    public void ReadingAFileThroughAPreprocessorNamesTheBadRowOfThatFile()
    {
        var train = TabularFiles.Write(directory, "train.csv", "n,c\n1,a\n2,b\n");
        var test = TabularFiles.Write(directory, "test.csv", "c,n\na,1\nb,2\nq,3\n");
        var preprocessor = TabularPreprocessor.Fit(train);

        var load = () => TabularDataset.Load(test, preprocessor);

        load.Should().Throw<TabularDataException>().WithMessage($"{test}, line 4, column 'c': 'q' is a category*");
    }

    [Fact]
    public void StreamedStatisticsEqualThoseOfTheTableInMemory()
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 5000).Select(_ => new[] { random.NextDouble() * 1e4 + 1e6, random.NextDouble() - 0.5, Math.Round(random.NextDouble() * 10) }).ToArray();
        var path = TabularFiles.Write(directory, "big.csv",
            "a,b,c\n" + string.Concat(rows.Select(r => string.Join(',', r.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "\n")));

        var streamed = TabularPreprocessor.Fit(path);

        for (var c = 0; c < 3; c++)
        {
            // The textbook two-pass computation over the whole column held in memory.
            var column = rows.Select(r => r[c]).ToArray();
            var mean = column.Sum() / column.Length;
            var deviation = Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / column.Length);
            streamed.Columns[c].Mean.Should().BeApproximately(mean, Math.Abs(mean) * 1e-13);
            streamed.Columns[c].StandardDeviation.Should().BeApproximately(deviation, deviation * 1e-11);
        }
        using var inMemory = TabularDataset.Load(path, streamed);
        var features = inMemory.Features;
        features.mean([0]).abs().max().item<float>().Should().BeLessThan(1e-4f);
        features.std([0], unbiased: false).sub(1).abs().max().item<float>().Should().BeLessThan(1e-4f);
    }
}
