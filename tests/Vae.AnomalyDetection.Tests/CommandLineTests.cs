namespace Vae.AnomalyDetection.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void TheLongFormOfKBecomesTheShortOption() =>
        Vae.Samples.ConsoleApp.NormalizeArguments(["--score", "iwae", "--k", "50", "--k=7"]).Should().Equal("--score", "iwae", "-k", "50", "-k=7");

    [Fact]
    public void OtherArgumentsPassUnchanged() =>
        Vae.Samples.ConsoleApp.NormalizeArguments(["--keep", "--k2", "-k", "3", "k"]).Should().Equal("--keep", "--k2", "-k", "3", "k");
}
