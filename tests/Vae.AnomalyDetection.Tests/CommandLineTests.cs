namespace Vae.AnomalyDetection.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void TheLongFormOfKBecomesTheShortOption() =>
        CommandLine.Normalize(["--score", "iwae", "--k", "50", "--k=7"]).Should().Equal("--score", "iwae", "-k", "50", "-k=7");

    [Fact]
    public void OtherArgumentsPassUnchanged() =>
        CommandLine.Normalize(["--keep", "--k2", "-k", "3", "k"]).Should().Equal("--keep", "--k2", "-k", "3", "k");
}
