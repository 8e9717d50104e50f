using System.Diagnostics;
using System.Reflection;
using FluentAssertions;
using Xunit;

namespace Vae.Core.Tests.Packaging;

public class PackageVersionTests
{
    /// <summary>
    /// The version comes from git: between tags each commit has its own, 0.1.0-alpha.0.&lt;height&gt; where the height
    /// counts the first-parent commits since the root (or the last tag). A fixed version let a package packed from an
    /// older commit shadow a newer one in NuGet's global packages folder.
    /// </summary>
    [SkippableFact]
    public void EachCommitBuildsADistinctVersionFromGit()
    {
        var root = FindRepositoryRoot();
        Skip.If(root is null, "not built from a git clone");
        var tags = Git(root!, "tag --merged HEAD --list v*");
        Skip.IfNot(tags.Length == 0, "a release tag is reachable: the version is the tag's");
        var height = int.Parse(Git(root!, "rev-list --count --first-parent HEAD")) - 1;

        var informational = typeof(VariationalAutoencoder).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var version = informational.Split('+')[0];

        version.Should().Be($"0.1.0-alpha.0.{height}");
    }

    static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vae.sln")))
                return Path.Exists(Path.Combine(dir.FullName, ".git")) ? dir.FullName : null;
        return null;
    }

    static string Git(string root, string arguments)
    {
        var start = new ProcessStartInfo("git", $"-C \"{root}\" {arguments}") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"git {arguments} must run");
        return output;
    }
}
