using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests.Interop;

/// <summary>
/// The files tests/fixtures/make_pytorch_fixtures.py wrote with PyTorch, and the outputs PyTorch computed for them
/// (outputs.json).
/// </summary>
internal static class PyTorchFixtures
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "pytorch");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"No tests/fixtures/pytorch in {AppContext.BaseDirectory} or any folder above it.");
    });

    private static readonly Lazy<JsonDocument> Outputs = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder.Value, "outputs.json"))));

    public static string PathOf(string file) => Path.Combine(Folder.Value, file);

    /// <summary>The small models' file names, one per layout, format and dtype.</summary>
    public static IEnumerable<object[]> SmallFiles() =>
        Outputs.Value.RootElement.GetProperty("small").EnumerateArray().Select(e => new object[] { e.GetProperty("file").GetString()! });

    public static JsonElement Small(string file) =>
        Outputs.Value.RootElement.GetProperty("small").EnumerateArray().Single(e => e.GetProperty("file").GetString() == file);

    public static JsonElement Trained => Outputs.Value.RootElement.GetProperty("trained");

    /// <summary>A <c>[rows, columns]</c> float32 tensor from a JSON list of lists.</summary>
    public static Tensor Matrix(JsonElement rows)
    {
        var values = rows.EnumerateArray().Select(row => row.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
        return tensor(values.SelectMany(v => v).ToArray(), [values.Length, values[0].Length]);
    }

    /// <summary>The largest absolute difference between two tensors of the same shape.</summary>
    public static double MaxDifference(Tensor actual, Tensor expected)
    {
        actual.shape.Should().Equal(expected.shape);
        using var scope = NewDisposeScope();
        return (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max().item<double>();
    }
}
