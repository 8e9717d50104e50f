using TorchSharp;
using static TorchSharp.torch;

namespace Vae.PackageTests;

/// <summary>Small seeded data sets and comparisons, written against the package's public API only.</summary>
internal static class TestData
{
    /// <summary>Rows of 0/1 values in two clusters, so a model has something to learn.</summary>
    public static double[][] BinaryRows(int rows, int features, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(row =>
        {
            var cluster = row % 2;
            return Enumerable.Range(0, features)
                .Select(feature => random.NextDouble() < ((feature % 2 == cluster) ? 0.9 : 0.1) ? 1.0 : 0.0).ToArray();
        }).ToArray();
    }

    public static Tensor Binary(int rows, int features, int seed) =>
        tensor(BinaryRows(rows, features, seed).SelectMany(row => row).Select(v => (float)v).ToArray(), [rows, features]);

    public static Dictionary<string, float[]> Weights(VariationalAutoencoder model) =>
        model.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.data<float>().ToArray());

    public static void ShouldHaveTheSameWeights(VariationalAutoencoder actual, VariationalAutoencoder expected)
    {
        var expectedWeights = Weights(expected);
        var actualWeights = Weights(actual);
        actualWeights.Keys.Should().BeEquivalentTo(expectedWeights.Keys);
        foreach (var (name, values) in expectedWeights)
            actualWeights[name].Should().Equal(values, name);
    }

    /// <summary>Reports on the trainer's thread, unlike <see cref="Progress{T}"/>, so a cancellation lands in a known batch.</summary>
    public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
