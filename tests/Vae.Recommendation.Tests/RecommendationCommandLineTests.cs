using System.Text.Json;
using Vae.Core.Recommendation;
using Vae.Samples.Tests;

namespace Vae.Recommendation.Tests;

/// <summary>The recommendation program as a user or a scheduler runs it: a process with arguments, files and output.</summary>
public sealed class RecommendationCommandLineTests : SyntheticDataFolderTests
{
    /// <summary>A quick run: a small model, one thread, JSON output.</summary>
    private SampleProcess.Result Train(params string[] args) =>
        Run([.. args, "--hidden", "32", "--latent", "8", "--batch-size", "50", "--threads", "1", "--json"]);

    [Theory]
    [InlineData("--help")]
    [InlineData("convert", "--help")]
    public void HelpShowsTheOptions(params string[] args)
    {
        var result = Run(args);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain(args[0] == "convert" ? "--movielens" : "--predictions");
        result.Error.Should().BeEmpty();
    }

    [Fact]
    public void ARunKilledWithSigkillContinuesWithResumeToTheModelOfAnUninterruptedRun()
    {
        string[] run = ["--data", data, "--epochs", "300", "--seed", "1", "--no-ease", "--hidden", "32", "--latent", "8", "--batch-size", "50", "--threads", "1", "--json"];
        var uninterrupted = Run([.. run, "--output", "full"]);
        uninterrupted.ExitCode.Should().Be(0, uninterrupted.ToString());

        using (var killed = SampleProcess.Start("Vae.Recommendation", [.. run, "--output", "killed"], temp.Path))
        {
            var checkpoint = Path.Combine(temp.File("killed"), TrainCommand.CheckpointFileName);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !killed.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(10);
            killed.Signal(9); // SIGKILL: no handler runs, only what is on disk survives
            killed.WaitForExit().ExitCode.Should().Be(137, "the run was killed before it finished");
        }
        File.Exists(Path.Combine(temp.File("killed"), TrainCommand.ModelFileName)).Should().BeFalse();

        var resumed = Run([.. run, "--resume", "--output", "killed"]);

        resumed.ExitCode.Should().Be(0, resumed.ToString());
        File.ReadAllBytes(Path.Combine(temp.File("killed"), TrainCommand.ModelFileName))
            .Should().Equal(File.ReadAllBytes(Path.Combine(temp.File("full"), TrainCommand.ModelFileName)), "the resumed run ends with the uninterrupted run's weights, bit for bit");
        LastJson(resumed).GetProperty("test_ndcg_at_100").GetDouble().Should().Be(LastJson(uninterrupted).GetProperty("test_ndcg_at_100").GetDouble());
    }

    [Fact]
    public void AnEarlierRunIsNeitherReplacedNorResumedWithoutBeingAskedTo()
    {
        var first = Train("--data", data, "--epochs", "2", "--output", "run");
        first.ExitCode.Should().Be(0, first.ToString());

        var again = Train("--data", data, "--epochs", "2", "--output", "run");
        var both = Train("--data", data, "--epochs", "2", "--output", "run", "--resume", "--overwrite");

        again.ExitCode.Should().Be(1, again.ToString());
        again.Error.Should().Contain(TrainCommand.CheckpointFileName).And.Contain("--resume").And.Contain("--overwrite");
        both.ExitCode.Should().NotBe(0);
        both.Error.Should().Contain("give one");
    }

    private static JsonElement LastJson(SampleProcess.Result result) =>
        JsonDocument.Parse(result.Output.TrimEnd().Split('\n')[^1]).RootElement.Clone();

    [Fact]
    public void ARunOnAFolderReportsJsonWritesPredictionsAModelAndAPlot()
    {
        var result = Train("--data", data, "--epochs", "3", "--seed", "1", "--predictions", "top100.csv", "--output", "run");

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Output.TrimEnd().Split('\n')[^1]);
        foreach (var key in new[] { "test_ndcg_at_100", "test_recall_at_20", "test_recall_at_50", "popularity_ndcg_at_100", "best_epoch", "users_per_second", "seconds", "peak_working_set_mib" })
            json.RootElement.TryGetProperty(key, out _).Should().BeTrue(key);
        json.RootElement.GetProperty("best_epoch").GetInt32().Should().BeInRange(1, 3);
        json.RootElement.GetProperty("test_ndcg_at_100").GetDouble().Should().BeInRange(0, 1);

        var split = ImplicitFeedbackFolder.Read(data);
        var lines = File.ReadAllLines(temp.File("top100.csv"));
        lines[0].Should().Be("uid,rank,sid");
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(int.Parse).ToArray()).ToArray();
        var users = rows.Select(r => r[0]).Distinct().ToArray();
        users.Should().HaveCount(Enumerable.Range(0, split.Test.UserCount).Count(u => split.Test.FoldIn.CountOf(u) > 0));
        foreach (var user in rows.GroupBy(r => r[0]))
        {
            var row = user.Key - split.Test.FirstUserId;
            var items = user.Select(r => r[2]).ToArray();
            user.Select(r => r[1]).Should().Equal(Enumerable.Range(1, Math.Min(100, 150 - split.Test.FoldIn.CountOf(row))));
            items.Should().OnlyHaveUniqueItems();
            items.Should().NotContain(i => split.Test.FoldIn.Contains(row, i), "a user's fold-in items are never recommended");
        }

        using var model = MultVae.Load(Path.Combine(temp.File("run"), TrainCommand.ModelFileName));
        model.ItemIds.Should().Equal(split.ItemIds);
        model.Recommend(split.Test.FoldIn, 10).Should().HaveCount(split.Test.UserCount);
        File.Exists(Path.Combine(temp.File("run"), TrainCommand.PlotFileName)).Should().BeTrue();
    }

    [Fact]
    public void ABlendWithEaseReportsTheBlendAndEachPartWithTheWeightChosenOnValidation()
    {
        var result = Train("--data", data, "--model", "recvae", "--epochs", "2", "--seed", "1", "--blend-ease", "--predictions", "top100.csv", "--output", "run");

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Output.TrimEnd().Split('\n')[^1]);
        var root = json.RootElement;
        root.GetProperty("recommender").GetString().Should().Be("recvae+ease");
        var weight = root.GetProperty("blend_vae_weight").GetDouble();
        weight.Should().BeInRange(0, 1);
        (weight * 10).Should().BeApproximately(Math.Round(weight * 10), 1e-9, "the weight is one of 0, 0.1, ..., 1");
        root.GetProperty("blend_ndcg_at_100").GetDouble().Should().Be(root.GetProperty("test_ndcg_at_100").GetDouble());
        root.GetProperty("blend_validation_ndcg_at_100").GetDouble().Should().BeInRange(0, 1);

        // The figures are the library's: the saved RecVAE and EASE, blended with the reported weight, score the same.
        var split = ImplicitFeedbackFolder.Read(data);
        using var recVae = RecVae.Load(Path.Combine(temp.File("run"), TrainCommand.RecVaeModelFileName));
        using var ease = EaseRecommender.Fit(split.Train);
        var blend = new BlendedRecommender([recVae, ease], [weight, 1 - weight]);
        RecommendationEvaluator.Evaluate(blend, split.Test).MeanNdcg(100).Should().BeApproximately(root.GetProperty("test_ndcg_at_100").GetDouble(), 1e-12);
        RecommendationEvaluator.Evaluate(recVae, split.Test).MeanNdcg(100).Should().BeApproximately(root.GetProperty("recvae_ndcg_at_100").GetDouble(), 1e-12);
        RecommendationEvaluator.Evaluate(ease, split.Test).MeanNdcg(100).Should().BeApproximately(root.GetProperty("ease_ndcg_at_100").GetDouble(), 1e-12);
        var lines = File.ReadAllLines(temp.File("top100.csv"));
        lines[0].Should().Be("uid,rank,sid");
        lines.Skip(1).Select(l => int.Parse(l.Split(',')[0])).Distinct().Should().HaveCount(Enumerable.Range(0, split.Test.UserCount).Count(u => split.Test.FoldIn.CountOf(u) > 0));
    }

    [Fact]
    public void TheDefaultRunTrainsOnSyntheticDataAndPrintsTheTable()
    {
        var result = Run("--users", "300", "--items", "100", "--epochs", "2", "--hidden", "16", "--latent", "4", "--threads", "1", "--output", "run");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("Mult-VAE").And.Contain("popularity").And.Contain("EASE").And.Contain("NDCG@100");
    }

    [Fact]
    public void ASecondRunIntoTheSameFolderNeedsOverwrite()
    {
        Train("--data", data, "--epochs", "1", "--output", "run").ExitCode.Should().Be(0);

        var again = Train("--data", data, "--epochs", "1", "--output", "run");

        again.ExitCode.Should().Be(1);
        again.Error.Should().Contain("already holds a training run").And.Contain("--overwrite");
        Train("--data", data, "--epochs", "1", "--output", "run", "--overwrite").ExitCode.Should().Be(0);
    }

    [Fact]
    public void AFolderWithoutItsTrainingFileIsAnErrorNamingIt()
    {
        File.Delete(Path.Combine(data, "train.csv"));

        var result = Train("--data", data, "--epochs", "1", "--output", "run");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("train.csv");
        File.Exists(Path.Combine(temp.File("run"), TrainCommand.ModelFileName)).Should().BeFalse();
    }

    [Theory]
    [InlineData("--epoch", "--epochs")]
    [InlineData("--dropout=1", "--dropout")]
    [InlineData("--lr-schedule=step", "--lr-schedule must be none or cosine, but was 'step'")]
    [InlineData("--weight-decay=-1", "--weight-decay must not be negative")]
    [InlineData("--weight-average=1 --model recvae", "--weight-average must lie strictly between 0 and 1, but was 1")]
    [InlineData("--weight-average=0.99 --model multvae", "--weight-average is for --model recvae, not multvae")]
    [InlineData("--encoder-target=kept", "--encoder-target must be all or dropped, but was 'kept'")]
    [InlineData("--encoder-passes=0", "--encoder-passes must be at least 1, but was 0")]
    [InlineData("--decoder-passes=-2", "--decoder-passes must be at least 1, but was -2")]
    [InlineData("--blend-ease --model ease", "--blend-ease blends a trained VAE with EASE: it needs --model multvae or recvae, not 'ease'")]
    [InlineData("--blend-ease --no-ease", "--blend-ease needs EASE and --no-ease leaves it out")]
    public void ABadCommandLineIsExplained(string argument, string named)
    {
        var result = Train(["--data", data, .. argument.Split(' '), "--output", "run"]);

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain(named);
    }

    [Fact]
    public void ConvertWritesTheReferenceLayoutFromARatingsFile()
    {
        var lines = new List<string> { "userId,movieId,rating,timestamp" };
        var random = new Random(2);
        for (var user = 1; user <= 30; user++)
            for (var movie = 1; movie <= 20; movie++)
                if (random.NextDouble() < 0.6) lines.Add($"{user},{movie * 10},{(random.NextDouble() < 0.7 ? 4.5 : 2.0):F1},{1000 + movie}");
        File.WriteAllLines(temp.File("ratings.csv"), lines);

        var result = Run("convert", "--movielens", "ratings.csv", "--output", "split", "--held-out-users", "5");

        result.ExitCode.Should().Be(0, result.ToString());
        foreach (var file in new[] { "unique_sid.txt", "train.csv", "validation_tr.csv", "validation_te.csv", "test_tr.csv", "test_te.csv" })
            File.Exists(Path.Combine(temp.File("split"), file)).Should().BeTrue(file);
        var split = ImplicitFeedbackFolder.Read(temp.File("split"));
        split.Test.UserCount.Should().Be(5);
    }

    [Fact]
    public void ConvertNamesAMissingRatingsFile()
    {
        var result = Run("convert", "--movielens", "missing.csv", "--output", "split");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("missing.csv");
    }
}
