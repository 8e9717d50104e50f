using System.Text;
using Vae.Core.Data;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data.Tabular;

/// <summary>Input that used to pass silently or fail without a place: identifier columns, huge numbers, bad UTF-8, Sep's limits.</summary>
public sealed class TabularInputLimitsTests : IDisposable
{
    private readonly TempFolder directory = new();

    public void Dispose() => directory.Dispose();

    private static string IdTable(int rows)
    {
        var text = new StringBuilder("id,x\n");
        for (var i = 0; i < rows; i++) text.Append("user").Append(i).Append(',').Append(i % 7).Append('\n');
        return text.ToString();
    }

    [Fact]
    public void AnIdentifierColumnStopsAtTheCategoryCapNamingTheColumnAndTheWayOut()
    {
        var path = TabularFiles.Write(directory, "ids.csv", IdTable(20_000));

        var fit = () => TabularPreprocessor.Fit(path);

        var error = fit.Should().Throw<TabularDataException>().Which;
        error.Line.Should().Be(102, "the 101st distinct value is on the 101st data row, and reading stops there");
        error.Column.Should().Be("id");
        error.Message.Should().StartWith($"{path}, line 102, column 'id': ")
            .And.Contain("more than 100 distinct values (101 so far, the latest 'user100')")
            .And.Contain("IgnoreColumns").And.Contain("MaxCategories");
    }

    [Fact]
    public void TheCapCanBeRaisedOrTheColumnIgnored()
    {
        var path = TabularFiles.Write(directory, "ids.csv", IdTable(300));

        TabularPreprocessor.Fit(path, new TabularOptions { MaxCategories = 300 }).Columns[0].Categories.Should().HaveCount(300);
        TabularPreprocessor.Fit(path, new TabularOptions { IgnoreColumns = ["id"] }).FeatureCount.Should().Be(1);
        new TabularOptions().MaxCategories.Should().Be(TabularOptions.DefaultMaxCategories).And.Be(100);
        FluentActions.Invoking(() => TabularPreprocessor.Fit(path, new TabularOptions { MaxCategories = 0 })).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData("1e300", "sum of squared deviations overflow")]
    [InlineData("-1e300", "sum of squared deviations overflow")]
    [InlineData("1e39", "beyond the float32 range")]
    public void AHugeFiniteNumberIsNamedWithFileLineColumnAndValue(string value, string problem)
    {
        var path = TabularFiles.Write(directory, "huge.csv", $"a,b\n1,2\n3,4\n5,{value}\n7,8\n");

        var fit = () => TabularPreprocessor.Fit(path);

        var message = fit.Should().Throw<TabularDataException>().Which.Message;
        message.Should().StartWith($"{path}, line 4, column 'b': '{value}'");
        if (value != "1e39") problem = "beyond the float32 range"; // a double overflow is caught before its square is taken
        message.Should().Contain(problem);
    }

    [Fact]
    public void AValueOfAScoredFileThatOverflowsFloat32IsNamed()
    {
        var train = TabularFiles.Write(directory, "train.csv", "a,b\n1,0\n2,1e-30\n3,0\n");
        var test = TabularFiles.Write(directory, "test.csv", "a,b\n1,0\n2,1e10\n");
        var huge = TabularFiles.Write(directory, "huge.csv", "a,b\n1,0\n2,1e39\n");
        var preprocessor = TabularPreprocessor.Fit(train);

        FluentActions.Invoking(() => TabularDataset.Load(test, preprocessor)).Should().Throw<TabularDataException>()
            .WithMessage($"{test}, line 3, column 'b': '1e10' standardises to *beyond the float32 range*");
        FluentActions.Invoking(() => TabularDataset.Load(huge, preprocessor)).Should().Throw<TabularDataException>()
            .WithMessage($"{huge}, line 3, column 'b': '1e39' is beyond the float32 range*");
    }

    [Fact]
    public void InvalidUtf8IsAnErrorWithLineAndColumnNotAReplacementCharacter()
    {
        var header = directory.File("header.csv");
        File.WriteAllBytes(header, [.. "a,b"u8, 0xFF, .. "\n1,2\n"u8]);
        var field = directory.File("field.csv");
        File.WriteAllBytes(field, [.. "n,c\n1,tea\n2,caf"u8, 0xE9, .. "\n3,tea\n"u8]);

        FluentActions.Invoking(() => TabularPreprocessor.Fit(header)).Should().Throw<TabularDataException>()
            .WithMessage($"{header}, line 1: the byte 0xFF at character 4 of the line starts no valid UTF-8 sequence*");
        FluentActions.Invoking(() => TabularPreprocessor.Fit(field)).Should().Throw<TabularDataException>()
            .WithMessage($"{field}, line 3, column 'c': the byte 0xE9 at character 6 of the line starts no valid UTF-8 sequence*");
    }

    [Fact]
    public void AByteOrderMarkAndMultiByteCharactersAreFine()
    {
        var path = directory.File("bom.csv");
        File.WriteAllText(path, "n,c\n1,café\n2,thé\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        TabularPreprocessor.Fit(path).Columns.Select(c => c.Name).Should().Equal("n", "c");
        TabularPreprocessor.Fit(path).Columns[1].Categories.Should().Equal("café", "thé");
    }

    [Fact]
    public void ADuplicateHeaderIsNamedWithTheFile()
    {
        var path = TabularFiles.Write(directory, "dup.csv", "a,b,a\n1,2,3\n");

        FluentActions.Invoking(() => TabularPreprocessor.Fit(path)).Should().Throw<TabularDataException>()
            .WithMessage($"{path}, line 1, column 'a': the header names this column more than once; every column needs its own name.");
    }

    [Fact]
    public void ALineLongerThanTheReadersLimitIsNamedWithFileAndLine()
    {
        var path = directory.File("long.csv");
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            writer.Write("a,b\n1,2\n3,\"");
            var chunk = new string('x', 1 << 20);
            for (var i = 0; i < 17; i++) writer.Write(chunk); // one field of 17 Mi characters: over Sep's 16 Mi limit
            writer.Write("\"\n5,6\n");
        }

        FluentActions.Invoking(() => TabularPreprocessor.Fit(path)).Should().Throw<TabularDataException>()
            .WithMessage($"{path}, line 3: the row starting here is longer than 16777216 characters, the most the CSV reader holds*");
    }
}
