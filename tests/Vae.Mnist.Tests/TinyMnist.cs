using System.Buffers.Binary;

namespace Vae.Mnist.Tests;

/// <summary>A few MNIST-shaped digits in the four raw IDX files, so a run of the sample takes a moment rather than seconds.</summary>
internal static class TinyMnist
{
    public static string Create(string folder, int trainCount = 256, int testCount = 64)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(1);
        foreach (var (split, count) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var pixels = new byte[count * 28 * 28];
            random.NextBytes(pixels);
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            File.WriteAllBytes(Path.Combine(folder, $"{split}-images-idx3-ubyte"), [.. Header(0x803, count, 28, 28), .. pixels]);
            File.WriteAllBytes(Path.Combine(folder, $"{split}-labels-idx1-ubyte"), [.. Header(0x801, count), .. labels]);
        }
        return folder;
    }

    private static byte[] Header(params int[] values)
    {
        var header = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 * i), values[i]);
        return header;
    }
}
