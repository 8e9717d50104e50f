using System.Security.Cryptography;
using System.Text;

namespace Vae.Core.Tests;

/// <summary>
/// Writes model files byte by byte from the documented layout, independently of the library's writer: identifier
/// <c>VAEMODEL</c>, version 1, payload length, SHA-256 of the payload, then the payload (architecture JSON with its
/// length, tensor count, and per tensor name, dtype code, rank, dimensions, byte count and bytes).
/// </summary>
internal static class ModelFileBytes
{
    public const int Float32 = 6;

    public sealed record Tensor(string Name, long[] Shape, byte[] Bytes, int DType = Float32, long? DeclaredByteCount = null);

    public static byte[] Build(string json, IEnumerable<Tensor> tensors, int version = 1, byte[]? trailer = null)
    {
        var payload = Payload(json, tensors.ToList()).Concat(trailer ?? []).ToArray();
        using var file = new MemoryStream();
        using var writer = new BinaryWriter(file);
        writer.Write("VAEMODEL"u8);
        writer.Write(version);
        writer.Write((long)payload.Length);
        writer.Write(SHA256.HashData(payload));
        writer.Write(payload);
        return file.ToArray();
    }

    /// <summary>Float32 tensors of the given names and shapes, each element equal to its index times <paramref name="scale"/>.</summary>
    public static IEnumerable<Tensor> Ramp(IEnumerable<(string Name, long[] Shape)> shapes, float scale = 0.001f) =>
        shapes.Select(p =>
        {
            var count = p.Shape.Aggregate(1L, (a, b) => a * b);
            var values = Enumerable.Range(0, (int)count).Select(i => i * scale).ToArray();
            var bytes = new byte[count * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            return new Tensor(p.Name, p.Shape, bytes);
        });

    private static byte[] Payload(string json, List<Tensor> tensors)
    {
        using var payload = new MemoryStream();
        using var writer = new BinaryWriter(payload, Encoding.UTF8);
        var jsonBytes = Encoding.UTF8.GetBytes(json);
        writer.Write(jsonBytes.Length);
        writer.Write(jsonBytes);
        writer.Write(tensors.Count);
        foreach (var tensor in tensors)
        {
            writer.Write(tensor.Name);
            writer.Write(tensor.DType);
            writer.Write(tensor.Shape.Length);
            foreach (var size in tensor.Shape) writer.Write(size);
            writer.Write(tensor.DeclaredByteCount ?? tensor.Bytes.Length);
            writer.Write(tensor.Bytes);
        }
        writer.Flush();
        return payload.ToArray();
    }
}
