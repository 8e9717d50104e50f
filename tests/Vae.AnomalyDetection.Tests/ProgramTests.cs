using Vae.Samples.Tests;

namespace Vae.AnomalyDetection.Tests;

/// <summary>The program as a process: what a user sees for help and for a mistyped command line.</summary>
public sealed class ProgramTests
{
    [Fact]
    public void HelpShowsTheOptions()
    {
        var result = SampleProcess.Run("Vae.AnomalyDetection", "--help");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("--holdout").And.Contain("train-images-idx3-ubyte[.gz]");
        result.Error.Should().BeEmpty();
    }

    [Theory]
    [InlineData("--holdot", "--holdout")]
    [InlineData("--frobnicate", null)]
    [InlineData("stray", null)]
    public void AnUnknownOptionIsAnErrorThatNamesIt(string unknown, string? suggestion)
    {
        var result = SampleProcess.Run("Vae.AnomalyDetection", unknown, "3", "--epochs", "1", "--threads", "1", "--output", Path.Combine(Path.GetTempPath(), "vae-anomaly-" + Guid.NewGuid().ToString("N")));

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain(unknown);
        if (suggestion is not null) result.Error.Should().Contain(suggestion);
    }
}
