using System.Buffers.Binary;
using System.IO.Compression;

namespace Vae.Core.Tests.Data;

/// <summary>Builds and unpacks IDX files for the tests, independently of the reader under test.</summary>
internal static class Idx
{
    public static byte[] Gunzip(string path)
    {
        using var input = new GZipStream(System.IO.File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    public static byte[] Header(int magic, params int[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (var i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        return header;
    }

    public static byte[] Images(int count, int rows, int columns, Func<int, byte>? pixel = null)
    {
        var payload = new byte[count * rows * columns];
        for (var i = 0; i < payload.Length; i++) payload[i] = pixel?.Invoke(i) ?? (byte)(i * 7 % 256);
        return [.. Header(0x803, count, rows, columns), .. payload];
    }

    public static byte[] Labels(int count, Func<int, byte>? label = null)
    {
        var payload = new byte[count];
        for (var i = 0; i < count; i++) payload[i] = label?.Invoke(i) ?? (byte)(i % 10);
        return [.. Header(0x801, count), .. payload];
    }
}
