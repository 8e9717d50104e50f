using System.Globalization;
using System.Text.Json;
using Vae.Samples.Tests;

namespace Vae.TimeSeries.Tests;

/// <summary>The time-series program as a user runs it: a process with arguments, files and output.</summary>
public sealed class TimeSeriesCommandLineTests : IDisposable
{
    private static readonly string[] Quick = ["--window", "8", "--epochs", "2", "--hidden", "8", "--latent", "2"];
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static SampleProcess.Result Run(params string[] args) => SampleProcess.Run("Vae.TimeSeries", args);

    [Theory]
    [InlineData("--help")]
    [InlineData("nab", "--help")]
    public void HelpShowsTheOptions(params string[] args)
    {
        var result = Run(args);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain(args[0] == "nab" ? "--data" : "--csv");
        result.Error.Should().BeEmpty();
    }

    [Theory]
    [InlineData("--range-scale", "-1", "RangeScale")]
    [InlineData("--seasonal-digits", "0", "SeasonalDigits")]
    [InlineData("--level-digits", "-5", "LevelShiftDigits")]
    [InlineData("--vae-gate", "2", "VaeScoreGate")]
    public void AnOutOfRangeScoreSettingIsAnErrorNamingIt(string option, string value, string name)
    {
        var result = Run("nab", "--data", temp.Path, "--output", Path.Combine(temp.Path, "out"), option, value);

        result.ExitCode.Should().NotBe(0, result.ToString());
        (result.Output + result.Error).Should().Contain($"{name} must be").And.Contain($"but was {value}");
    }

    /// <summary>A NAB layout of two categories, 300 rows per series, one labelled window in one of them.</summary>
    private string NabFolder()
    {
        var data = Path.Combine(temp.Path, "data");
        var files = new[] { "catA/one.csv", "catA/two.csv", "catB/three.csv" };
        var random = new Random(3);
        foreach (var file in files)
        {
            var path = Path.Combine(data, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var lines = new List<string> { "timestamp,value" };
            for (var i = 0; i < 300; i++)
            {
                var value = 20 * Math.Sin(2 * Math.PI * i / 24) + random.NextDouble() + (i is >= 200 and < 205 ? 60 : 0);
                lines.Add($"{SyntheticSeries.Start.AddHours(i):yyyy-MM-dd HH:mm:ss},{value.ToString("R", CultureInfo.InvariantCulture)}");
            }
            File.WriteAllLines(path, lines);
        }
        Directory.CreateDirectory(Path.Combine(data, "labels"));
        var windows = new Dictionary<string, string[][]>
        {
            ["catA/one.csv"] = [[$"{SyntheticSeries.Start.AddHours(190):yyyy-MM-dd HH:mm:ss}.000000", $"{SyntheticSeries.Start.AddHours(215):yyyy-MM-dd HH:mm:ss}.000000"]],
            ["catA/two.csv"] = [],
            ["catB/three.csv"] = [[$"{SyntheticSeries.Start.AddHours(190):yyyy-MM-dd HH:mm:ss}.000000", $"{SyntheticSeries.Start.AddHours(215):yyyy-MM-dd HH:mm:ss}.000000"]],
        };
        File.WriteAllText(Path.Combine(data, "labels", "combined_windows.json"), JsonSerializer.Serialize(windows));
        return data;
    }

    [Fact]
    public void NabWritesOneResultFilePerSeriesInItsLayoutAndScoresTheRun()
    {
        var data = NabFolder();
        var output = Path.Combine(temp.Path, "out");

        var result = Run(["nab", "--data", data, "--output", output, "--json", "--parallel", "1", .. Quick]);

        result.ExitCode.Should().Be(0, result.ToString());
        foreach (var file in new[] { "catA/one.csv", "catA/two.csv", "catB/three.csv" })
        {
            var input = File.ReadAllLines(Path.Combine(data, file));
            var lines = File.ReadAllLines(Path.Combine(output, file));
            lines[0].Should().Be("timestamp,value,anomaly_score");
            lines.Should().HaveCount(input.Length, "one row per input row");
            for (var i = 1; i < lines.Length; i++)
            {
                var fields = lines[i].Split(',');
                var original = input[i].Split(',');
                fields[0].Should().Be(original[0], "rows stay in input order");
                double.Parse(fields[1], CultureInfo.InvariantCulture).Should().Be(double.Parse(original[1], CultureInfo.InvariantCulture));
                double.Parse(fields[2], CultureInfo.InvariantCulture).Should().BeInRange(0, 1);
            }
            // The probationary period (15% of 300 rows) learns and is not scored.
            lines.Skip(1).Take(45).Should().OnlyContain(l => l.EndsWith(",0", StringComparison.Ordinal));
        }
        using var json = JsonDocument.Parse(result.Output.TrimEnd().Split('\n')[^1]);
        json.RootElement.GetProperty("series").GetInt32().Should().Be(3);
        var profiles = json.RootElement.GetProperty("scores").EnumerateArray().Select(p => p.GetProperty("Profile").GetString()).ToArray();
        profiles.Should().Equal("standard", "reward_low_FP_rate", "reward_low_FN_rate");
        var categories = json.RootElement.GetProperty("scores")[0].GetProperty("Categories").EnumerateArray().Select(c => c.GetProperty("Category").GetString()).ToArray();
        categories.Should().Equal("catA", "catB");
        File.Exists(Path.Combine(output, "nab-scores.json")).Should().BeTrue();
    }

    [Fact]
    public void ACsvWithSeveralValueColumnsWritesScoresAPictureAndADetector()
    {
        var csv = temp.File("metrics.csv");
        var rows = SyntheticSeries.Rows(300, columns: 2);
        var lines = new List<string> { "time,cpu,latency,ignored" };
        for (var i = 0; i < rows.Length; i++)
        {
            var cpu = i == 150 ? "" : rows[i][0].ToString("R", CultureInfo.InvariantCulture);
            lines.Add($"{SyntheticSeries.Start + (i * SyntheticSeries.Step):yyyy-MM-dd HH:mm:ss},{cpu},{rows[i][1].ToString("R", CultureInfo.InvariantCulture)},x");
        }
        File.WriteAllLines(csv, lines);
        var output = Path.Combine(temp.Path, "run");

        var result = Run(["--csv", csv, "--time", "time", "--values", "cpu,latency", "--output", output, "--json", .. Quick]);

        result.ExitCode.Should().Be(0, result.ToString());
        var scores = File.ReadAllLines(Path.Combine(output, "scores.csv"));
        scores[0].Should().Be("timestamp,cpu,latency,raw_score,anomaly_score,anomaly,missing,training");
        scores.Should().HaveCount(301);
        File.ReadAllBytes(Path.Combine(output, "scores.png")).Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');
        using var detector = Vae.Core.TimeSeries.TimeSeriesDetector.Load(Path.Combine(output, "detector.vae"));
        detector.Columns.Should().Be(2);
        detector.ObservedRows.Should().Be(300);
        using var json = JsonDocument.Parse(result.Output.TrimEnd().Split('\n')[^1]);
        json.RootElement.GetProperty("trainingRows").GetInt32().Should().Be(45);
    }

    [Fact]
    public void AnIrregularCsvIsAnErrorNamingTheFileAndRow()
    {
        var csv = temp.File("irregular.csv");
        var lines = new List<string> { "timestamp,value" };
        var time = SyntheticSeries.Start;
        for (var i = 0; i < 200; i++)
        {
            time += i == 120 ? TimeSpan.FromMinutes(7) : SyntheticSeries.Step;
            lines.Add($"{time:yyyy-MM-dd HH:mm:ss},{i % 7}");
        }
        File.WriteAllLines(csv, lines);

        var result = Run(["--csv", csv, "--output", Path.Combine(temp.Path, "run"), "--train-rows", "100", .. Quick]);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("irregular.csv: Row 121").And.Contain("irregular").And.Contain("Sequential");
    }

    [Fact]
    public void MultivariateWritesTheGeneratedSeriesWithItsLabelsAndComparesBothDetectors()
    {
        var output = Path.Combine(temp.Path, "mv");

        var result = Run(["multivariate", "--output", output, "--rows", "2400", "--events", "4", "--epochs", "3", "--json"]);

        result.ExitCode.Should().Be(0, result.ToString());
        var lines = File.ReadAllLines(Path.Combine(output, "multivariate.csv"));
        lines[0].Should().Be("timestamp,m0,m1,m2,m3,label");
        lines.Should().HaveCount(2401);
        lines.Skip(1).Count(l => l.EndsWith(",1", StringComparison.Ordinal)).Should().Be(4 * 48, "four anomalies of 48 points");
        using var json = JsonDocument.Parse(result.Output.TrimEnd().Split('\n')[^1]);
        foreach (var side in new[] { "multivariate", "univariatePerColumn" })
            json.RootElement.GetProperty(side).GetProperty("RocAuc").GetDouble().Should().BeInRange(0, 1);
        json.RootElement.GetProperty("window").GetInt32().Should().Be(8);
    }
}
