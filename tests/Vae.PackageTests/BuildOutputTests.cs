using System.Runtime.InteropServices;

namespace Vae.PackageTests;

/// <summary>
/// A build of the solution stays small enough for a CI disk: each test, sample and benchmark output holds only this
/// platform's libtorch, linked to the package folder's files rather than copied (19 GB of copies once filled a disk).
/// </summary>
public sealed class BuildOutputTests
{
    private static readonly string Output = AppContext.BaseDirectory;

    [Fact]
    public void OnlyThisPlatformsLibTorchIsInTheOutput()
    {
        var libtorchFolders = Directory.EnumerateFiles(Path.Combine(Output, "runtimes"), "*torch_cpu*", SearchOption.AllDirectories)
            .Select(path => Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path)))!)
            .ToList();

        libtorchFolders.Should().ContainSingle("one platform's libtorch, not all three").Which.Should().Be(RuntimeInformation.RuntimeIdentifier);
    }

    [Fact]
    public void LibTorchIsLinkedToThePackageFolderNotCopied()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // NTFS hard links are not visible through System.IO; the platform filter above still holds.
        }

        var libtorch = Directory.EnumerateFiles(Path.Combine(Output, "runtimes"), "libtorch_cpu*", SearchOption.AllDirectories).Single();
        var info = new FileInfo(libtorch);
        var linked = info.LinkTarget is not null || LinkCount(libtorch) > 1;

        linked.Should().BeTrue($"{libtorch} ({info.Length / (1 << 20)} MB) should be a hard or symbolic link into the NuGet package folder");
    }

    private static long LinkCount(string path)
    {
        // System.IO does not expose st_nlink; stat(1) is on every Linux and macOS machine.
        var format = OperatingSystem.IsMacOS() ? "-f%l" : "-c%h";
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", [format, path]) { RedirectStandardOutput = true })!;
        var text = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }
}
