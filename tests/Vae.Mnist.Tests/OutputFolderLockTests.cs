using Vae.Samples;

namespace Vae.Mnist.Tests;

public sealed class OutputFolderLockTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ASecondLockOnTheFolderFailsWithAMessageThatNamesIt()
    {
        var folder = temp.File("run");
        using var first = OutputFolderLock.Acquire(folder);

        var second = () => OutputFolderLock.Acquire(folder);

        second.Should().Throw<IOException>().Which.Message.Should().Contain(Path.GetFullPath(folder)).And.Contain("already using");
    }

    [Fact]
    public void TheFolderCanBeLockedAgainOnceReleased()
    {
        var folder = temp.File("run");
        OutputFolderLock.Acquire(folder).Dispose();

        using var again = OutputFolderLock.Acquire(folder);

        File.Exists(Path.Combine(folder, OutputFolderLock.FileName)).Should().BeTrue();
    }
}
