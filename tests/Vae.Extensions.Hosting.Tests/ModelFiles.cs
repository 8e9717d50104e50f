using Vae.Core;
using static TorchSharp.torch;

namespace Vae.Extensions.Hosting.Tests;

/// <summary>Small models saved as an app would replace its file: written beside it, then renamed over it.</summary>
internal static class ModelFiles
{
    public const int Features = 6;

    public static VaeOptions Options(int hidden) => new() { InputSize = Features, HiddenSizes = [hidden], LatentSize = 2 };

    /// <summary>Saves a detector with its own seed, so two files score differently.</summary>
    public static void SaveDetector(string path, int hidden, int seed, double threshold = 5)
    {
        manual_seed(seed);
        using var model = new VariationalAutoencoder(Options(hidden));
        new AnomalyDetector(model, threshold).Save(path);
    }

    public static void SaveModel(string path, int hidden, int seed)
    {
        manual_seed(seed);
        using var model = new VariationalAutoencoder(Options(hidden));
        model.Save(path);
    }

    /// <summary>Writes the new version next to <paramref name="path"/> and renames it over the old one (one atomic step).</summary>
    public static void Replace(string path, Action<string> write)
    {
        var temporary = path + ".new";
        write(temporary);
        File.Move(temporary, path, overwrite: true);
    }

    public static void ReplaceWithBytes(string path, byte[] bytes) => Replace(path, temporary => File.WriteAllBytes(temporary, bytes));

    /// <summary>The fixed rows every test scores.</summary>
    public static Tensor Rows() => linspace(0, 1, 4 * Features).view(4, Features);

    public static double[] ScoresOf(string path)
    {
        using var detector = AnomalyDetector.Load(path);
        using var scope = NewDisposeScope();
        return detector.Score(Rows());
    }

    /// <summary>Polls until <paramref name="condition"/> holds or 20 s pass (file events arrive asynchronously).</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"Waited 20 s for {what}.");
            await Task.Delay(25);
        }
    }
}
