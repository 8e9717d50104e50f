using System.Text;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The named tensors of a model of any family (see <see cref="ITrainableModel.Weights"/>) as checkpoints store them:
/// a count, then per tensor its name, shape, element size and bytes. Read back only into a model's own tensors, which
/// fix every name, shape and size in advance, so a damaged or crafted file cannot make the reader allocate more than
/// the model holds.
/// </summary>
internal static class WeightTable
{
    public static void Write(BinaryWriter writer, IReadOnlyDictionary<string, Tensor> weights)
    {
        writer.Write(weights.Count);
        foreach (var (name, tensor) in weights.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            // The scope holds the intermediate tensors until their bytes are written.
            using var scope = NewDisposeScope();
            var cpu = tensor.detach().cpu().contiguous();
            writer.Write(name);
            writer.Write(cpu.shape.Length);
            foreach (var size in cpu.shape) writer.Write(size);
            writer.Write((int)cpu.element_size());
            var bytes = NativeTensor.Bytes(cpu);
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }

    /// <summary>Copies the stored tensors into <paramref name="weights"/>, after checking that every one is there with its shape and size.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, extra, of another shape or size, or the table ends early; the message names it and <paramref name="source"/>.</exception>
    public static void Read(Stream stream, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var stored = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            var count = reader.ReadInt32();
            if (count != weights.Count)
                throw Invalid(source, $"it holds {count} tensor(s), but the model has {weights.Count}");
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                if (!weights.TryGetValue(name, out var tensor))
                    throw Invalid(source, $"it holds a tensor '{name}' that the model does not have");
                if (stored.ContainsKey(name)) throw Invalid(source, $"it holds the tensor '{name}' twice");
                var rank = reader.ReadInt32();
                if (rank != tensor.shape.Length)
                    throw Invalid(source, $"its tensor '{name}' has {rank} dimension(s), the model's [{string.Join(", ", tensor.shape)}]");
                var shape = new long[rank];
                for (var d = 0; d < rank; d++) shape[d] = reader.ReadInt64();
                if (!shape.SequenceEqual(tensor.shape))
                    throw Invalid(source, $"its tensor '{name}' is [{string.Join(", ", shape)}], the model's [{string.Join(", ", tensor.shape)}]");
                var elementSize = reader.ReadInt32();
                var length = reader.ReadInt32();
                var expected = tensor.numel() * tensor.element_size();
                if (elementSize != tensor.element_size() || length != expected)
                    throw Invalid(source, $"its tensor '{name}' holds {length} bytes of {elementSize}-byte elements, the model's {expected} of {tensor.element_size()}");
                stored[name] = reader.ReadBytes(length);
                if (stored[name].Length != length) throw Invalid(source, $"it ends inside the tensor '{name}'");
            }
        }
        catch (EndOfStreamException e)
        {
            throw Invalid(source, "it ends early", e);
        }
        using var noGrad = no_grad();
        foreach (var (name, bytes) in stored)
        {
            var tensor = weights[name];
            using var cpu = empty(tensor.shape, dtype: tensor.dtype);
            cpu.bytes = bytes;
            tensor.copy_(cpu);
        }
    }

    private static InvalidDataException Invalid(string source, string detail, Exception? inner = null) =>
        new($"The weights in {source} do not fit the model: {detail}.", inner);
}
