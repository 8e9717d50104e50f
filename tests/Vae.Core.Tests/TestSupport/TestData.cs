namespace Vae.Core.Tests;

/// <summary>Locates the data shipped in the repository.</summary>
internal static class TestData
{
    private static readonly Lazy<string> Mnist = new(() => FindUp(Path.Combine("samples", "data", "mnist-10k")));

    /// <summary>The 10,000-digit MNIST subset in <c>samples/data/mnist-10k</c>.</summary>
    public static string MnistDirectory => Mnist.Value;

    private static string FindUp(string relative)
    {
        // The tests run from bin/<configuration>/<framework>; the repository root is some levels above.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"No '{relative}' in {AppContext.BaseDirectory} or any folder above it.");
    }
}
