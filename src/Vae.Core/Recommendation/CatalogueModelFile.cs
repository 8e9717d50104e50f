using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// The file of a catalogue-sized model (<see cref="MultVae"/>, <see cref="RecVae"/>) inside its checksummed container:
/// the architecture as JSON, the item ids, then the count of weight tensors and each tensor's length and floats. A
/// file's architecture must account for exactly the bytes that follow the ids before any tensor is made, so a
/// checksummed file with false sizes is refused instead of allocating what the sizes claim.
/// </summary>
internal static class CatalogueModelFile
{
    /// <summary>Writes <paramref name="architecture"/> (the JSON of the stored options), the ids and the tensors to <paramref name="path"/>, atomically.</summary>
    public static void Save<TStored>(string path, ChecksummedContainer container, TStored architecture, IReadOnlyList<string> itemIds, IReadOnlyList<Tensor> tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Straight from the tensors into the file: no copy of the weights is held in memory.
        AtomicFile.Write(path, stream => container.Write(stream, payload =>
        {
            using var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true);
            writer.Write(JsonSerializer.Serialize(architecture));
            foreach (var id in itemIds) writer.Write(id);
            writer.Write(tensors.Count);
            foreach (var tensor in tensors)
            {
                using var scope = NewDisposeScope();
                var cpu = tensor.detach().cpu().contiguous();
                if (cpu.dtype != ScalarType.Float32)
                    throw new ArgumentException($"A model file stores float32 tensors, not {cpu.dtype}.", nameof(tensors));
                writer.Write((int)cpu.numel());
                writer.Write(NativeTensor.Bytes(cpu));
            }
        }));
    }

    /// <summary>
    /// Reads a file <see cref="Save"/> wrote: <paramref name="itemCount"/> says how many ids the stored architecture
    /// announces, <paramref name="create"/> checks the architecture against the bytes that follow the ids (with
    /// <see cref="CheckWeightBytes"/>) and makes an empty model, whose <paramref name="tensorsOf"/> are then filled.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not of <paramref name="container"/>'s kind, is damaged, or its weights do not fit its architecture; the message names the file.</exception>
    public static TModel Load<TStored, TModel>(string path, ChecksummedContainer container, Func<TStored, int> itemCount,
        Func<TStored, string[], long, TModel> create, Func<TModel, IReadOnlyList<Tensor>> tensorsOf)
        where TModel : IDisposable
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The model file '{path}' does not exist.", path);
        byte[] payload;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            (_, payload) = container.Read(stream, path);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
            var stored = JsonSerializer.Deserialize<TStored>(reader.ReadString()) ?? throw new JsonException("the architecture is missing");
            var count = itemCount(stored);
            if (count <= 0 || count > payload.Length)
                throw new ArgumentException($"the file announces {count} items");
            var ids = new string[count];
            for (var i = 0; i < ids.Length; i++) ids[i] = reader.ReadString();
            var model = create(stored, ids, payload.Length - reader.BaseStream.Position);
            try
            {
                ReadTensors(reader, tensorsOf(model), payload.Length);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or ArgumentException or DecoderFallbackException)
        {
            throw container.Corrupt(path, e.Message, e);
        }
    }

    /// <summary>The bytes of the weight section of tensors of <paramref name="shapes"/> (count, then each tensor's length and floats); null on overflow or a tensor of more than 2^31 - 1 values.</summary>
    public static long? WeightBytes(IEnumerable<long[]> shapes)
    {
        try
        {
            var total = (long)sizeof(int);
            foreach (var shape in shapes)
            {
                var count = shape.Aggregate(1L, (a, b) => checked(a * b));
                if (count > int.MaxValue) return null;
                total = checked(total + sizeof(int) + count * sizeof(float));
            }
            return total;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>Throws unless the architecture described by <paramref name="architecture"/> needs the <paramref name="remaining"/> bytes that follow the ids.</summary>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public static void CheckWeightBytes(long? needed, long remaining, string architecture)
    {
        if (needed is null || needed != remaining)
            throw new ArgumentException(
                $"the architecture ({architecture}) needs " +
                $"{(needed is null ? "more than 2^63" : needed.Value.ToString("N0", CultureInfo.InvariantCulture))} bytes of weights, but {remaining:N0} bytes follow the item ids");
    }

    private static void ReadTensors(BinaryReader reader, IReadOnlyList<Tensor> tensors, long payloadLength)
    {
        var count = reader.ReadInt32();
        if (count != tensors.Count)
            throw new ArgumentException($"the file holds {count} weight tensors but its architecture has {tensors.Count}");
        using var noGrad = no_grad();
        for (var t = 0; t < tensors.Count; t++)
        {
            var target = tensors[t];
            var length = reader.ReadInt32();
            if (length != target.numel())
                throw new ArgumentException($"a weight tensor has {length} values where the architecture needs [{string.Join(", ", target.shape)}]");
            var bytes = reader.ReadBytes(checked(length * sizeof(float)));
            if (bytes.Length != length * sizeof(float))
                throw new EndOfStreamException("the weights end early");
            var floats = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
            var bad = Array.FindIndex(floats, f => !float.IsFinite(f));
            if (bad >= 0)
                throw new ArgumentException($"weight tensor {t} [{string.Join(", ", target.shape)}] holds {floats[bad]} at flat index {bad}; a model's weights must be finite");
            using var values = tensor(floats, target.shape);
            target.copy_(values);
        }
        if (reader.BaseStream.Position != payloadLength)
            throw new ArgumentException($"{payloadLength - reader.BaseStream.Position} bytes follow the weights");
    }
}
