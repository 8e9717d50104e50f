using System.Globalization;
using System.Text.RegularExpressions;
using Vae.Samples.Tests;

namespace Vae.Minimal.Tests;

public class MinimalSampleTests
{
    [Fact]
    public void OneEpochOfTheTutorialModelLearnsAndSavesTheModel()
    {
        using var folder = new TempFolder();
        using var run = SampleProcess.Start("Vae.Minimal", ["1"], folder.Path);
        var result = run.WaitForExit();

        result.ExitCode.Should().Be(0, result.ToString());
        var untrained = Regex.Match(result.Output, @"untrained: BCE ([0-9.]+) \+ KL ([0-9.]+)");
        untrained.Success.Should().BeTrue(result.ToString());
        double.Parse(untrained.Groups[1].Value, CultureInfo.InvariantCulture).Should().BeInRange(540, 560, "an untrained sigmoid output is near 0.5 everywhere: 784 ln 2 = 543");

        var epoch = Regex.Match(result.Output, @"epoch  1: train ([0-9.]+)  test ([0-9.]+)");
        epoch.Success.Should().BeTrue(result.ToString());
        double.Parse(epoch.Groups[2].Value, CultureInfo.InvariantCulture).Should().BeLessThan(230, "one epoch on 8,000 digits takes the model well below the untrained loss");

        new FileInfo(folder.File("minimal.vae")).Length.Should().BeGreaterThan(2_000_000, "the model's 652,824 weights are saved");
    }

    [Fact]
    public void HelpPrintsTheUsageAndABadArgumentIsAnError()
    {
        var help = SampleProcess.Run("Vae.Minimal", "--help");
        help.ExitCode.Should().Be(0, help.ToString());
        help.Output.Should().Contain("usage:").And.Contain("EPOCHS");

        var bad = SampleProcess.Run("Vae.Minimal", "ten");
        bad.ExitCode.Should().Be(2, bad.ToString());
        bad.Error.Should().Contain("expected one positive number of epochs, got 'ten'");
    }
}
