using Vae.Samples.Tests;

namespace Vae.Service.Tests;

/// <summary>The service as a program: --help, and mistakes that stop it before it listens.</summary>
[Collection(ServedModelsCollection.Name)]
public sealed class CommandLineTests(ServedModels models)
{
    [Fact]
    public void HelpPrintsTheUsageAndExits0()
    {
        var result = SampleProcess.Run("Vae.Service", "--help");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("usage:").And.Contain("POST /score").And.Contain("--model FILE");
    }

    [Theory]
    [InlineData("Vae:ModelPath is required", new string[0])]
    [InlineData("Vae:ModelPath is 'missing.vae', but there is no such file", new[] { "--model", "missing.vae" })]
    [InlineData("--threads must be a positive number, but was 'zero'", new[] { "--threads", "zero" })]
    [InlineData("Unexpected argument 'stray'", new[] { "stray" })]
    public void MistakesExit2WithTheMessage(string message, string[] args)
    {
        var result = SampleProcess.Run("Vae.Service", [.. args, "--urls", "http://127.0.0.1:0"]);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Error.Should().Contain(message);
    }

    [Fact]
    public void AFileThatIsNotAModelExits2NamingIt()
    {
        var path = Path.Combine(models.Folder, "not-a-model.vae");
        File.WriteAllText(path, "hello");

        var result = SampleProcess.Run("Vae.Service", "--model", path, "--urls", "http://127.0.0.1:0");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Error.Should().Contain(path);
    }

    [Fact]
    public void BenchRunsAShortBoundedLoadWithAReplacedFileAndNoFailedRequest()
    {
        var result = SampleProcess.Run("Vae.Service", "bench", "--model", models.Digits, "--rounds", "2", "--seconds", "2", "--max-requests", "60",
            "--concurrency", "4", "--replace-ms", "300");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("round  requests  req/s").And.Contain("bench: 0 failed requests;").And.Contain("0 failed reloads");
        File.Exists(models.Digits).Should().BeTrue("the benchmark replaces a copy, never the given file");
    }

    [Fact]
    public void BenchHelpAndBadOptions()
    {
        SampleProcess.Run("Vae.Service", "bench", "--help").Output.Should().Contain("usage:").And.Contain("--replace-ms");
        var bad = SampleProcess.Run("Vae.Service", "bench", "--model", models.Digits, "--rounds", "0");
        bad.ExitCode.Should().Be(2, bad.ToString());
        bad.Error.Should().Contain("--rounds must be a whole number in [1, 100], but was '0'.");
    }
}
