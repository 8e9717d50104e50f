namespace Vae.Core.Tests.Runtime;

/// <summary>
/// Each path of the library survives collections at any moment (see <see cref="CollectionStress"/>): the test that
/// found the Mult-VAE heap corruption, which crashed it within seconds before the fix.
/// </summary>
public sealed class CollectionStressTests
{
    // Long enough for the old Mult-VAE step to crash in every one of six runs (it died after 5-20 s).
    private const double Seconds = 15;

    public static TheoryData<string> Paths() => [.. CollectionStress.Paths];

    [Theory]
    [MemberData(nameof(Paths))]
    public void APathSurvivesCollectionsDuringItsLibtorchCalls(string path)
    {
        var (exitCode, output) = CollectionStress.RunInSeparateProcess(path, Seconds);
        exitCode.Should().Be(0, $"the {path} path must survive collections at any moment; the process printed:\n{output}");
        output.Should().Contain($"{path}: ");
    }
}
