using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The file a <see cref="VaeTrainer"/> checkpoint lives in: a magic number, a format version, the payload's length,
/// the payload (a JSON header with architecture, options, position and history, then the weights, the optimizer
/// state, the random generators' states and the best weights so far) and the payload's SHA-256.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private static readonly byte[] Magic = "VAECKPT\n"u8.ToArray();
    private const int FormatVersion = 1;
    // The best validation loss starts at +infinity.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly Header header;
    private readonly byte[] weights;
    private readonly byte[] optimizerState;
    private readonly byte[] noiseState;
    private readonly byte[] shuffleState;
    private Dictionary<string, Tensor>? bestWeights;
    private Dictionary<string, byte[]>? bestWeightBytes;

    public TrainingCheckpoint(
        VaeOptions architecture, VaeTrainerOptions options, TrainingState state, IReadOnlyList<EpochSummary> history,
        VariationalAutoencoder model, FlatAdam optimizer, Generator shuffle, Generator noise, Dictionary<string, Tensor>? best)
    {
        header = new Header(architecture, options, state, history.ToList(), best?.Keys.ToList() ?? []);
        weights = Serialize(writer => VaeModelFile.Save(model, writer.BaseStream));
        optimizerState = Serialize(optimizer.Save);
        shuffleState = GeneratorState.Save(shuffle);
        noiseState = GeneratorState.Save(noise);
        bestWeights = best;
    }

    private TrainingCheckpoint(Header header, byte[] weights, byte[] optimizerState, byte[] shuffleState, byte[] noiseState, Dictionary<string, byte[]> best)
    {
        this.header = header;
        this.weights = weights;
        this.optimizerState = optimizerState;
        this.shuffleState = shuffleState;
        this.noiseState = noiseState;
        bestWeightBytes = best;
    }

    public TrainingState State => header.State;

    public IReadOnlyList<EpochSummary> History => header.History;

    /// <summary>The best weights so far as tensors shaped like <paramref name="model"/>'s (which has the checkpoint's architecture), or null.</summary>
    public Dictionary<string, Tensor>? TakeBestWeights(VariationalAutoencoder model)
    {
        if (bestWeightBytes is not { Count: > 0 } stored) return null;
        var state = model.state_dict();
        var taken = stored.ToDictionary(p => p.Key, p =>
        {
            var like = state[p.Key];
            using var cpu = empty(like.shape, dtype: like.dtype);
            if (p.Value.Length != cpu.numel() * cpu.element_size())
                throw new InvalidDataException($"the checkpoint's best weights for '{p.Key}' hold {p.Value.Length} bytes, the model's tensor {cpu.numel() * cpu.element_size()}");
            cpu.bytes = p.Value;
            return cpu.to(like.device).DetachFromDisposeScope();
        });
        bestWeightBytes = null;
        return taken;
    }

    public void WriteTo(Stream stream)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(JsonSerializer.Serialize(header, Json));
            WriteBlob(writer, weights);
            WriteBlob(writer, optimizerState);
            WriteBlob(writer, shuffleState);
            WriteBlob(writer, noiseState);
            foreach (var name in header.BestWeightNames)
            {
                using var tensor = bestWeights![name].cpu();
                WriteBlob(writer, tensor.bytes.ToArray());
            }
        }
        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        using var output = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        output.Write(Magic);
        output.Write(FormatVersion);
        output.Write((long)bytes.Length);
        output.Write(bytes);
        output.Write(SHA256.HashData(bytes));
    }

    public static (VaeOptions Architecture, VaeTrainerOptions Options) ReadOptions(string path)
    {
        var header = ReadPayload(path, out _).header;
        return (header.Architecture, header.Options);
    }

    public static TrainingCheckpoint Read(string path, VaeOptions expectedArchitecture)
    {
        var (header, reader) = ReadPayload(path, out var payload);
        using (payload)
        using (reader)
        {
            if (!header.Architecture.Equals(expectedArchitecture))
                throw new InvalidDataException(
                    $"Checkpoint '{path}' was written for a {header.Architecture} model, but this model is {expectedArchitecture}.");
            try
            {
                var weights = ReadBlob(reader);
                var optimizerState = ReadBlob(reader);
                var shuffleState = ReadBlob(reader);
                var noiseState = ReadBlob(reader);
                // Raw bytes: the trainer shapes them like its model, so reading needs no model of its own.
                var best = header.BestWeightNames.ToDictionary(name => name, _ => ReadBlob(reader));
                return new TrainingCheckpoint(header, weights, optimizerState, shuffleState, noiseState, best);
            }
            catch (Exception e) when (e is EndOfStreamException or KeyNotFoundException or ArgumentException)
            {
                throw new InvalidDataException($"Checkpoint '{path}' is damaged: {e.Message}", e);
            }
        }
    }

    public void Restore(VariationalAutoencoder model, FlatAdam optimizer, Generator shuffle, Generator noise)
    {
        // Copies into the existing parameters, which are views of the optimizer's flat buffer.
        using (var stream = new MemoryStream(weights))
            VaeModelFile.LoadWeights(model, stream);
        using (var reader = new BinaryReader(new MemoryStream(optimizerState)))
            optimizer.Load(reader);
        GeneratorState.Restore(shuffle, shuffleState);
        GeneratorState.Restore(noise, noiseState);
    }

    private static (Header header, BinaryReader reader) ReadPayload(string path, out MemoryStream payload)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        using var file = File.OpenRead(path);
        using var reader = new BinaryReader(file);
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException($"'{path}' is not a Vae training checkpoint (it does not start with the checkpoint signature).");
            var version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new InvalidDataException($"Checkpoint '{path}' has format version {version}; this version of Vae reads version {FormatVersion}.");
            var length = reader.ReadInt64();
            if (length < 0 || length > file.Length - file.Position - 32)
                throw new InvalidDataException($"Checkpoint '{path}' is truncated: it announces {length} bytes of data but the file has {file.Length} bytes in all.");
            var bytes = reader.ReadBytes((int)length);
            var checksum = reader.ReadBytes(32);
            if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(checksum))
                throw new InvalidDataException($"Checkpoint '{path}' is corrupt: its SHA-256 checksum does not match its contents.");
            payload = new MemoryStream(bytes, writable: false);
            var payloadReader = new BinaryReader(payload, Encoding.UTF8);
            var header = JsonSerializer.Deserialize<Header>(payloadReader.ReadString(), Json)
                ?? throw new InvalidDataException($"Checkpoint '{path}' has an empty header.");
            return (header, payloadReader);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated or damaged: {e.Message}", e);
        }
    }

    private static byte[] Serialize(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            write(writer);
        return stream.ToArray();
    }

    private static void WriteBlob(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadBlob(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        var bytes = reader.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException($"a section of {length} bytes ends after {bytes.Length}");
        return bytes;
    }

    private sealed record Header(
        VaeOptions Architecture, VaeTrainerOptions Options, TrainingState State, List<EpochSummary> History, List<string> BestWeightNames);
}
