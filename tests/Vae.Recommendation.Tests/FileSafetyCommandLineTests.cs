using System.Text.Json;
using Vae.Core.Recommendation;
using Vae.Samples.Tests;

namespace Vae.Recommendation.Tests;

/// <summary>The recommendation commands never write over their inputs, and a figure JSON cannot hold is null with a note.</summary>
public sealed class FileSafetyCommandLineTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string data;

    public FileSafetyCommandLineTests()
    {
        data = temp.File("data");
        SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 400, ItemCount = 150, TopicCount = 6, Seed = 3 })
            .WriteFolder(data, new ReferenceSplitOptions { HeldOutUsers = 40 });
    }

    public void Dispose() => temp.Dispose();

    private SampleProcess.Result Run(params string[] args)
    {
        using var run = SampleProcess.Start("Vae.Recommendation", args, temp.Path);
        return run.WaitForExit();
    }

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
}
