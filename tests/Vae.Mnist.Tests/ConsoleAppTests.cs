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

    private static readonly Dictionary<string, Type> Commands = new() { ["evaluate"] = typeof(EvaluateSettings) };

    [Theory]
    [InlineData("unknown option '--epoch'; did you mean '--epochs'?", "--epoch", "3")]
    [InlineData("unknown option '--resum'; did you mean '--resume'?", "--output", "run", "--resum")]
    [InlineData("unknown option '--frobnicate'; see --help", "--frobnicate")]
    [InlineData("unknown option '--epochs'; see --help", "evaluate", "--model", "m.vae", "--epochs", "3")]
    [InlineData("unknown command 'evalute'; did you mean 'evaluate'?", "evalute", "--model", "m.vae")]
    [InlineData("unexpected argument 'stray': the program takes options only (see --help)", "--epochs", "3", "stray")]
    [InlineData("--epochs needs a value: --epochs <N>", "--output", "run", "--epochs")]
    [InlineData("--epochs must be a whole number, but was 'x'", "--epochs", "x")]
    [InlineData("--lr must be a number, but was 'fast'", "--lr=fast")]
    public void TheFirstMistakeOfACommandLineIsNamed(string expected, params string[] args) =>
        ConsoleApp.CommandLineProblem(args, typeof(TrainSettings), Commands).Should().Be(expected);

    [Fact]
    public void ACorrectCommandLineHasNoProblem() =>
        ConsoleApp.CommandLineProblem(["evaluate", "--model", "m.vae", "-k=5", "--seed", "-2", "--json", "--help"], typeof(TrainSettings), Commands).Should().BeNull();
}
