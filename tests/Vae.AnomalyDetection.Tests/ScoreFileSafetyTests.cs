using System.Text.Json;
using Vae.Samples.Tests;

namespace Vae.AnomalyDetection.Tests;

/// <summary>score and tabular never write over their inputs, and an infinite threshold is reported, not a crash.</summary>
public sealed class ScoreFileSafetyTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string model;
    private readonly string table;

    public ScoreFileSafetyTests()
    {
        table = temp.File("t.csv");
        File.WriteAllText(table, "a,b,label\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i % 7},{i % 5},{(i < 36 ? 0 : 1)}\n")));
        var trained = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", table, "--normal", "0", "--epochs", "1", "--threads", "1", "--output", temp.File("out"));
        trained.ExitCode.Should().Be(0, trained.ToString());
        model = Path.Combine(temp.File("out"), "model.vae");
    }

    public void Dispose() => temp.Dispose();

    private static JsonElement LastJsonLine(string output) =>
        JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    [Fact]
    public void AnOutputThatIsTheTableToScoreIsRefusedAndTheTableStays()
    {
        var before = File.ReadAllText(table);

        var run = SampleProcess.Run("Vae.AnomalyDetection", "score", "--model", model, "--csv", table, "--output", table);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Error.Should().Contain("--output").And.Contain("same file as --csv");
        File.ReadAllText(table).Should().Be(before);
    }

    [Fact]
    public void AnOutputThatIsTheModelThroughASymbolicLinkIsRefusedAndTheModelStays()
    {
        var before = File.ReadAllBytes(model);
        var link = temp.File("scores.csv");
        File.CreateSymbolicLink(link, model);

        var run = SampleProcess.Run("Vae.AnomalyDetection", "score", "--model", model, "--csv", table, "--output", link);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Error.Should().Contain("same file as --model");
        File.ReadAllBytes(model).Should().Equal(before);
    }

    [Fact]
    public void AnOutputWrittenThroughDotDotIsStillTheSameFile()
    {
        var sneaky = Path.Combine(temp.Path, "out", "..", "t.csv");

        var run = SampleProcess.Run("Vae.AnomalyDetection", "score", "--model", model, "--csv", table, "--output", sneaky);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Error.Should().Contain("same file as --csv");
    }

    [Fact]
    public void AnInfiniteThresholdFlagsNothingAndIsWrittenAsNullWithANote()
    {
        var scores = temp.File("scores.csv");

        var run = SampleProcess.Run("Vae.AnomalyDetection", "score", "--model", model, "--csv", table, "--output", scores, "--threshold", "Infinity", "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        var json = LastJsonLine(run.Output);
        json.GetProperty("threshold").ValueKind.Should().Be(JsonValueKind.Null);
        json.GetProperty("threshold_note").GetString().Should().Be("not finite: Infinity");
        json.GetProperty("flagged").GetInt32().Should().Be(0);
        json.GetProperty("rows").GetInt32().Should().Be(40);
        File.ReadAllLines(scores).Should().HaveCount(41);
    }

    [Fact]
    public void TabularRefusesToReadATableFromAFileItWrites()
    {
        var output = temp.File("out");
        var reused = Path.Combine(output, "test-scores.csv");
        File.Copy(table, reused, overwrite: true);
        var before = File.ReadAllText(reused);

        var run = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", reused, "--normal", "0", "--epochs", "1", "--threads", "1", "--output", output);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Error.Should().Contain("same file as --csv");
        File.ReadAllText(reused).Should().Be(before);
    }
}
