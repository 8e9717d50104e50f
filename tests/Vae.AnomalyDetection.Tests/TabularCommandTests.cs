using System.Globalization;
using System.Text.Json;
using Vae.Samples.Tests;

namespace Vae.AnomalyDetection.Tests;

/// <summary>The tabular and score commands as a user runs them: the shipped table, files of their own, and bad input.</summary>
public sealed class TabularCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("vae-tabular-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathFor(string name) => Path.Combine(folder, name);

    private static JsonElement LastJsonLine(string output) =>
        JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    [Fact]
    public void TheShippedTableTrainsScoresAndSavesAModelThatTheScoreCommandApplies()
    {
        var output = PathFor("out");

        var run = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--epochs", "20", "--threads", "1", "--output", output, "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        var figures = LastJsonLine(run.Output);
        figures.GetProperty("auroc").GetDouble().Should().BeGreaterThan(0.85, "benign and malignant masses differ a lot even after 20 epochs");
        figures.GetProperty("average_precision").GetDouble().Should().BeInRange(0, 1);
        figures.GetProperty("threshold").GetDouble().Should().BeGreaterThan(0);
        figures.GetProperty("flagged").GetInt32().Should().BeInRange(1, 319);
        figures.GetProperty("rows_per_second").GetDouble().Should().BeGreaterThan(0);
        figures.GetProperty("test_rows").GetInt32().Should().Be(319, "30% of the 357 benign rows and all 212 malignant ones");
        foreach (var file in new[] { "model.vae", "scores.png", "split.csv", "test-scores.csv" }) File.Exists(Path.Combine(output, file)).Should().BeTrue(file);
        File.ReadAllLines(Path.Combine(output, "split.csv")).Skip(1).Count(l => l.EndsWith(",train", StringComparison.Ordinal)).Should().Be(250);

        var scores = PathFor("scores.csv");
        var score = SampleProcess.Run("Vae.AnomalyDetection", "score", "--model", Path.Combine(output, "model.vae"),
            "--csv", Path.Combine(AppContext.BaseDirectory, "data", "breast-cancer", "breast_cancer.csv"), "--output", scores, "--json");

        score.ExitCode.Should().Be(0, score.ToString());
        LastJsonLine(score.Output).GetProperty("rows").GetInt32().Should().Be(569);
        var all = File.ReadAllLines(scores).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[3]);
        foreach (var line in File.ReadAllLines(Path.Combine(output, "test-scores.csv")).Skip(1).Select(l => l.Split(',')))
            all[line[0]].Should().Be(line[3], "the saved model scores each row exactly as the run that trained it");
    }

    [Fact]
    public void ATrainingAndATestFileOfTheUsersOwnWithItsOwnLabelsAndATextColumn()
    {
        var random = new Random(4);
        string Rows(int normal, int anomalous) => "id,amount,channel,class\n" + string.Concat(Enumerable.Range(0, normal + anomalous).Select(i =>
        {
            var anomaly = i >= normal;
            var amount = anomaly ? 500 + random.NextDouble() * 100 : 50 + random.NextDouble() * 10;
            return string.Create(CultureInfo.InvariantCulture, $"{i},{amount:F2},{(i % 2 == 0 ? "web" : "shop")},{(anomaly ? 0 : 1)}\n");
        }));
        File.WriteAllText(PathFor("train.csv"), Rows(300, 5));
        File.WriteAllText(PathFor("test.csv"), Rows(100, 20));

        var run = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--train", PathFor("train.csv"), "--test", PathFor("test.csv"),
            "--label", "class", "--normal", "1", "--ignore", "id", "--epochs", "30", "--threads", "1", "--output", PathFor("own"), "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        var figures = LastJsonLine(run.Output);
        figures.GetProperty("features").GetInt32().Should().Be(3, "amount plus the one-hot channel");
        figures.GetProperty("test_rows").GetInt32().Should().Be(120);
        figures.GetProperty("auroc").GetDouble().Should().BeGreaterThan(0.95);
    }

    [Fact]
    public void ATableOfTheUsersOwnNeedsTheNormalLabelAndTheRunSaysWhichRowsItTookAsNormal()
    {
        File.WriteAllText(PathFor("coded.csv"), "a,b,label\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i % 7},{i % 5},{(i < 30 ? 1 : 0)}\n")));

        var guessed = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", PathFor("coded.csv"), "--epochs", "1", "--output", PathFor("guessed"));
        guessed.ExitCode.Should().NotBe(0, guessed.ToString());
        (guessed.Output + guessed.Error).Should().Contain("--normal is required with --csv");
        Directory.Exists(PathFor("guessed")).Should().BeFalse("nothing was trained");

        var run = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", PathFor("coded.csv"), "--normal", "1", "--epochs", "1", "--output", PathFor("coded"));
        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("Normal rows: 30 of 40 rows").And.Contain("label = '1'").And.Contain("the other 10 (labels '0')");
        var json = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", PathFor("coded.csv"), "--normal", "1", "--epochs", "1", "--output", PathFor("coded-json"), "--json");
        var figures = LastJsonLine(json.Output);
        figures.GetProperty("normal_label").GetString().Should().Be("1");
        figures.GetProperty("normal_rows").GetInt32().Should().Be(30);
    }

    [Fact]
    public void ARaggedRowStopsTheRunWithTheFileTheLineAndNoStackTrace()
    {
        File.WriteAllText(PathFor("bad.csv"), "a,b,label\n1,2,0\n3,4,0\n5,1\n");

        var run = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", PathFor("bad.csv"), "--normal", "0", "--epochs", "1", "--output", PathFor("bad"));

        run.ExitCode.Should().Be(1, run.ToString());
        run.Error.Should().Contain(PathFor("bad.csv")).And.Contain("line 4").And.Contain("2 field(s) but the header has 3");
        run.Error.Should().NotContain("   at ");
    }

    [Fact]
    public void AnIdentifierColumnStopsTheRunUnlessMaxCategoriesAllowsIt()
    {
        var rows = string.Concat(Enumerable.Range(0, 12).Select(i => $"id{i},{i % 3},{i % 2}\n"));
        File.WriteAllText(PathFor("ids.csv"), "id,x,label\n" + rows);

        var capped = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", PathFor("ids.csv"), "--normal", "0", "--epochs", "1", "--max-categories", "3", "--output", PathFor("capped"));
        var raised = SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", PathFor("ids.csv"), "--normal", "0", "--epochs", "1", "--max-categories", "20", "--impute", "--output", PathFor("raised"));

        capped.ExitCode.Should().Be(1, capped.ToString());
        capped.Error.Should().Contain(PathFor("ids.csv")).And.Contain("column 'id'").And.Contain("more than 3 distinct values");
        capped.Error.Should().NotContain("   at ");
        raised.ExitCode.Should().Be(0, raised.ToString());
    }

    [Fact]
    public void TextInANumericColumnOfTheFileToScoreNamesItsLineAndColumn()
    {
        var output = PathFor("model");
        File.WriteAllText(PathFor("t.csv"), "a,b,label\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i % 7},{i % 5},{(i < 36 ? 0 : 1)}\n")));
        SampleProcess.Run("Vae.AnomalyDetection", "tabular", "--csv", PathFor("t.csv"), "--normal", "0", "--epochs", "1", "--output", output).ExitCode.Should().Be(0);
        File.WriteAllText(PathFor("new.csv"), "b,a\n1,2\nthree,4\n");

        var run = SampleProcess.Run("Vae.AnomalyDetection", "score", "--model", Path.Combine(output, "model.vae"), "--csv", PathFor("new.csv"), "--output", PathFor("s.csv"));

        run.ExitCode.Should().Be(1, run.ToString());
        run.Error.Should().Contain($"{PathFor("new.csv")}, line 3, column 'b': 'three' is not a number");
        File.Exists(PathFor("s.csv")).Should().BeFalse("a failed run leaves no half-written scores");
    }

    [Theory]
    [InlineData("--csv a.csv --train b.csv --test c.csv", "not both")]
    [InlineData("--train b.csv", "go together")]
    [InlineData("--score elbo -k 5", "-k applies only")]
    [InlineData("--epochs 0", "--epochs")]
    public void InconsistentOptionsAreRefused(string arguments, string message)
    {
        var run = SampleProcess.Run("Vae.AnomalyDetection", ["tabular", .. arguments.Split(' '), "--output", PathFor("x")]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Error.Should().Contain(message);
    }
}
