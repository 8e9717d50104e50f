using System.Text.Json;
using Vae.Core.Recommendation;
using Vae.Samples.Tests;

namespace Vae.Recommendation.Tests;

/// <summary>The recommendation commands never write over their inputs, and a figure JSON cannot hold is null with a note.</summary>
public sealed class FileSafetyCommandLineTests : SyntheticDataFolderTests
{
    private SampleProcess.Result Train(params string[] args) =>
        Run([.. args, "--hidden", "32", "--latent", "8", "--batch-size", "50", "--threads", "1", "--epochs", "1", "--json"]);

    [Fact]
    public void TestUsersWithoutHeldOutClicksGiveNullFiguresWithANote()
    {
        // The test users keep their fold-in clicks but have none held out: every test mean is 0 / 0.
        File.WriteAllText(Path.Combine(data, ImplicitFeedbackFolder.TestHeldOutFile), ImplicitFeedbackFolder.Header + "\n");

        var result = Train("--data", data, "--output", "run");

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Output.TrimEnd().Split('\n')[^1]);
        var root = json.RootElement;
        root.GetProperty("test_ndcg_at_100").ValueKind.Should().Be(JsonValueKind.Null);
        root.GetProperty("test_ndcg_at_100_note").GetString().Should().Be("not finite: NaN");
        root.GetProperty("best_epoch").GetInt32().Should().Be(1);
    }

    [Fact]
    public void PredictionsOverATrainingFileAreRefusedAndTheFileStays()
    {
        var train = Path.Combine(data, ImplicitFeedbackFolder.TrainFile);
        var before = File.ReadAllText(train);

        var result = Train("--data", data, "--output", "run", "--predictions", train);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("--predictions").And.Contain("same file as --data");
        File.ReadAllText(train).Should().Be(before);
    }

    [Fact]
    public void PredictionsOverTheModelAreRefused()
    {
        var result = Train("--output", "run", "--users", "200", "--items", "60", "--predictions", Path.Combine("run", "model.multvae"));

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("same file as the model");
    }

    [Fact]
    public void ConvertRefusesARatingsFileThatItWouldReplace()
    {
        var output = temp.File("split");
        Directory.CreateDirectory(output);
        var ratings = Path.Combine(output, ImplicitFeedbackFolder.TrainFile);
        var text = "userId,movieId,rating,timestamp\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"{i % 20},{i % 13},5,0\n"));
        File.WriteAllText(ratings, text);

        var result = Run("convert", "--movielens", ratings, "--output", output, "--held-out-users", "2");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("same file as --movielens");
        File.ReadAllText(ratings).Should().Be(text);
    }
}
