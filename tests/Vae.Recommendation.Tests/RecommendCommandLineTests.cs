using Vae.Core.Recommendation;

namespace Vae.Recommendation.Tests;

/// <summary>The <c>recommend</c> command: a saved model's lists for the users of a <c>user,item</c> file, and every bad input named.</summary>
public sealed class RecommendCommandLineTests : SyntheticDataFolderTests
{
    private readonly ImplicitFeedbackData split;

    public RecommendCommandLineTests() => split = ImplicitFeedbackFolder.Read(data);

    /// <summary>Trains a small model of <paramref name="kind"/> into <c>run-kind</c> and returns its model file.</summary>
    private string TrainedModel(string kind)
    {
        var result = Run("--data", data, "--model", kind, "--epochs", "2", "--seed", "1", "--no-ease", "--hidden", "16", "--latent", "4",
            "--batch-size", "50", "--threads", "1", "--json", "--output", $"run-{kind}");
        result.ExitCode.Should().Be(0, result.ToString());
        return Path.Combine(temp.File($"run-{kind}"), kind == "recvae" ? TrainCommand.RecVaeModelFileName : TrainCommand.ModelFileName);
    }

    /// <summary>The first test users' fold-in clicks as a <c>user,item</c> file in catalogue ids; the users are named u0, u1, ...</summary>
    private string HistoryFile(int users, params string[] extraLines)
    {
        var lines = new List<string> { "user,item" };
        for (var u = 0; u < users; u++)
            foreach (var item in split.Test.FoldIn.ItemsOf(u))
                lines.Add($"u{u},{split.ItemIds[item]}");
        lines.AddRange(extraLines);
        var path = temp.File("history.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Theory]
    [InlineData("recvae")]
    [InlineData("multvae")]
    public void ItWritesEachUsersBestUnseenItemsAsTheLibraryRanksThem(string kind)
    {
        var modelPath = TrainedModel(kind);
        var history = HistoryFile(12);

        var result = Run("recommend", "--model", modelPath, "--history", history, "--top", "5", "--output", "top.csv", "--threads", "1");

        result.ExitCode.Should().Be(0, result.ToString());
        var lines = File.ReadAllLines(temp.File("top.csv"));
        lines[0].Should().Be("user,rank,item,score");
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        rows.Select(r => r[0]).Distinct().Should().Equal(Enumerable.Range(0, 12).Select(u => $"u{u}"), "users in the order of the file");
        using var model = VaeRecommender.Load(modelPath);
        foreach (var user in rows.GroupBy(r => r[0]))
        {
            var u = int.Parse(user.Key[1..]);
            var clicked = split.Test.FoldIn.ItemsOf(u).ToArray().Select(i => split.ItemIds[i]).ToArray();
            user.Select(r => r[1]).Should().Equal("1", "2", "3", "4", "5");
            user.Select(r => r[2]).Should().NotIntersectWith(clicked, "a clicked item is never recommended");
            user.Select(r => r[2]).Should().Equal(model.Recommend(clicked, 5).Select(r => r.ItemId), $"user {user.Key} as the library ranks");
        }
    }

    [Fact]
    public void BlendedWithEaseItWritesTheListsOfTheTrainingRunsBlend()
    {
        var trained = Run("--data", data, "--model", "recvae", "--epochs", "2", "--seed", "1", "--blend-ease", "--hidden", "16", "--latent", "4",
            "--batch-size", "50", "--threads", "1", "--json", "--output", "run-blend", "--predictions", "trained.csv");
        trained.ExitCode.Should().Be(0, trained.ToString());
        var lines = new List<string> { "user,item" };
        for (var u = 0; u < split.Test.UserCount; u++)
            foreach (var item in split.Test.FoldIn.ItemsOf(u))
                lines.Add($"{split.Test.UserIds[u]},{split.ItemIds[item]}");
        File.WriteAllLines(temp.File("test-users.csv"), lines);
        var modelPath = Path.Combine(temp.File("run-blend"), TrainCommand.RecVaeModelFileName);

        var result = Run("recommend", "--model", modelPath, "--history", temp.File("test-users.csv"), "--top", "100", "--blend-ease", "--data", data,
            "--output", "recommended.csv", "--threads", "1");
        var unblended = Run("recommend", "--model", modelPath, "--history", temp.File("test-users.csv"), "--top", "100", "--output", "vae.csv", "--threads", "1");

        var json = Run("recommend", "--model", modelPath, "--history", temp.File("test-users.csv"), "--top", "100", "--blend-ease", "--data", data,
            "--output", "again.csv", "--threads", "1", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Error.Should().Contain("blended with EASE: the model's weight");
        json.ExitCode.Should().Be(0, json.ToString());
        using (var line = System.Text.Json.JsonDocument.Parse(json.Output.Trim()))
        {
            var root = line.RootElement;
            root.GetProperty("users").GetInt32().Should().Be(Enumerable.Range(0, split.Test.UserCount).Count(u => split.Test.FoldIn.CountOf(u) > 0));
            root.GetProperty("top").GetInt32().Should().Be(100);
            root.GetProperty("model").GetString().Should().Be("recvae");
            root.GetProperty("blend_vae_weight").GetDouble().Should().BeInRange(0, 1);
            root.GetProperty("output").GetString().Should().Be(temp.File("again.csv"));
        }
        File.ReadAllText(temp.File("again.csv")).Should().Be(File.ReadAllText(temp.File("recommended.csv")));
        var expected = File.ReadAllLines(temp.File("trained.csv")).Skip(1).Select(l => l.Split(','))
            .Select(r => $"{r[0]},{r[1]},{split.ItemIds[int.Parse(r[2])]}").ToArray();
        string[] Lists(string file) => File.ReadAllLines(temp.File(file)).Skip(1).Select(l => string.Join(',', l.Split(',')[..3])).ToArray();
        Lists("recommended.csv").Should().Equal(expected, "the blend is refitted as the training run fitted it");
        Lists("vae.csv").Should().NotEqual(expected, "without --blend-ease the model ranks alone");
    }

    [Fact]
    public void ABlendWithAFolderOfAnotherCatalogueIsRefused()
    {
        var other = temp.File("other-data");
        SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 300, ItemCount = 120, TopicCount = 6, Seed = 5 })
            .WriteFolder(other, new ReferenceSplitOptions { HeldOutUsers = 30 });

        var result = Run("recommend", "--model", TrainedModel("recvae"), "--history", HistoryFile(2), "--blend-ease", "--data", other, "--output", "top.csv");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("other-data").And.Contain("is not the model's");
        File.Exists(temp.File("top.csv")).Should().BeFalse();
    }

    [Fact]
    public void HelpShowsTheOptions()
    {
        var result = Run("recommend", "--help");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("--history").And.Contain("--top").And.Contain("--ignore-unknown-items");
    }

    [Fact]
    public void WithoutOutputTheListsGoToTheStandardOutput()
    {
        var result = Run("recommend", "--model", TrainedModel("recvae"), "--history", HistoryFile(3), "--top", "2", "--threads", "1");

        result.ExitCode.Should().Be(0, result.ToString());
        var lines = result.Output.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        lines[0].Should().Be("user,rank,item,score");
        lines.Should().HaveCount(1 + 3 * 2);
    }

    [Fact]
    public void AnUnknownItemIsNamedByLineAndColumnUnlessAskedToSkipIt()
    {
        var modelPath = TrainedModel("recvae");
        var history = HistoryFile(2, "u0,no-such-item", "newcomer,no-such-item");
        var lineOfUnknown = File.ReadAllLines(history).Length - 1; // the first of the two unknown clicks

        var refused = Run("recommend", "--model", modelPath, "--history", history, "--output", "top.csv", "--threads", "1");
        var skipped = Run("recommend", "--model", modelPath, "--history", history, "--output", "skipped.csv", "--threads", "1", "--ignore-unknown-items");

        refused.ExitCode.Should().Be(1, refused.ToString());
        refused.Error.Should().Contain($"line {lineOfUnknown}, column 2").And.Contain("'no-such-item'").And.Contain("--ignore-unknown-items");
        File.Exists(temp.File("top.csv")).Should().BeFalse("nothing is written from a refused file");
        skipped.ExitCode.Should().Be(0, skipped.ToString());
        skipped.Error.Should().Contain("2 clicks on unknown items skipped");
        var users = File.ReadAllLines(temp.File("skipped.csv")).Skip(1).Select(l => l.Split(',')[0]).Distinct();
        users.Should().Equal(["u0", "u1", "newcomer"], "a user whose every click is unknown is still recommended to, from no clicks");
    }

    [Theory]
    [InlineData("uid,sid", "u0,1", "line 1: the header must be 'user,item'")]
    [InlineData("user,item", "u0,1,2", "line 2: a line must hold two fields")]
    [InlineData("user,item", ",1", "line 2, column 1: the user is empty")]
    [InlineData("user,item", "u0,", "line 2, column 2: the item is empty")]
    public void AMalformedHistoryIsNamed(string header, string line, string expected)
    {
        var history = temp.File("bad.csv");
        File.WriteAllLines(history, [header, line]);

        var result = Run("recommend", "--model", TrainedModel("recvae"), "--history", history, "--threads", "1");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("bad.csv").And.Contain(expected);
    }

    [Fact]
    public void AFileThatIsNoRecommenderModelIsNamed()
    {
        var notAModel = temp.File("notes.txt");
        File.WriteAllText(notAModel, "not a model");

        var result = Run("recommend", "--model", notAModel, "--history", HistoryFile(1));

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("notes.txt").And.Contain("neither a Mult-VAE model file nor a RecVAE model file");
    }

    [Theory]
    [InlineData("--top", "0", "--top must be at least 1")]
    [InlineData("--output", "history.csv", "same file as --history")]
    [InlineData("--blend-ease", null, "--blend-ease needs --data")]
    [InlineData("--data", "data", "--data is read only with --blend-ease")]
    [InlineData("--json", null, "--json needs --output")]
    public void BadOptionsAreRefusedBeforeAnythingIsRead(string option, string? value, string expected)
    {
        var history = HistoryFile(1);
        var before = File.ReadAllText(history);

        var result = Run(["recommend", "--model", temp.File("absent.recvae"), "--history", history, option, .. value is null ? Array.Empty<string>() : [value]]);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain(expected);
        File.ReadAllText(history).Should().Be(before);
    }
}
