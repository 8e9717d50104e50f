using Vae.Samples;

namespace Vae.Mnist.Tests;

public sealed class ConsoleAppTests
{
    [Fact]
    public void AnErrorShowsTheOutermostMessageAndWhatTheInnerOnesAdd()
    {
        var error = new IOException("Could not write 'run/model.vae'.", new UnauthorizedAccessException("Permission denied"));

        ConsoleApp.Describe(error).Should().Be("Could not write 'run/model.vae': Permission denied");
    }

    [Fact]
    public void AnInnerMessageTheOuterOneAlreadyQuotesIsNotRepeated()
    {
        var error = new InvalidDataException(
            "Checkpoint 'run/checkpoint.ckpt' is truncated or damaged: Unable to read beyond the end of the stream.",
            new EndOfStreamException("Unable to read beyond the end of the stream."));

        ConsoleApp.Describe(error).Should().Be(error.Message);
    }

    [Theory]
    [InlineData("--epoch", "did you mean '--epochs'?")]
    [InlineData("--resum", "did you mean '--resume'?")]
    [InlineData("--frobnicate", "see --help")]
    public void AnUnknownOptionIsNamedWithTheNearestKnownOne(string option, string advice) =>
        ConsoleApp.UnknownOption(["--output", "run", option, "3"], typeof(TrainSettings)).Should().Be($"unknown option '{option}'; {advice}");

    [Fact]
    public void KnownOptionsAndNegativeValuesAreNotUnknown() =>
        ConsoleApp.UnknownOption(["--epochs=3", "--seed", "-2", "--help"], typeof(TrainSettings)).Should().BeNull();
}
