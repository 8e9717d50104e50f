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

    [Fact]
    public void TheHolderDeletesTheStaleTemporariesOfItsOwnFilesOnly()
    {
        var folder = temp.File("run");
        Directory.CreateDirectory(folder);
        var stale = $"checkpoint.ckpt.{Guid.NewGuid():N}.tmp";
        string[] kept = ["checkpoint.ckpt", "checkpoint.ckpt.tmp", "other.bin.0123456789abcdef0123456789abcdef.tmp", "checkpoint.ckpt.xyz.tmp", "notes.tmp"];
        foreach (var name in kept.Append(stale)) File.WriteAllText(Path.Combine(folder, name), "");

        using var held = OutputFolderLock.Acquire(folder, ["checkpoint.ckpt"]);

        temp.Names().Should().BeEmpty("the files are in the subfolder");
        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(kept.Append(OutputFolderLock.FileName));
    }

    [Fact]
    public void ARunThatDoesNotGetTheLockDeletesNothing()
    {
        var folder = temp.File("run");
        using var first = OutputFolderLock.Acquire(folder);
        var busy = Path.Combine(folder, $"model.vae.{Guid.NewGuid():N}.tmp"); // the first run's save under way
        File.WriteAllText(busy, "");

        var second = () => OutputFolderLock.Acquire(folder, ["model.vae"]);

        second.Should().Throw<IOException>();
        File.Exists(busy).Should().BeTrue();
    }
}
