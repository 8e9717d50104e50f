using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The file a <see cref="VaeTrainer"/> checkpoint lives in: the <see cref="ChecksummedContainer"/> shared with model
/// files (identifier <c>VAECKPT\n</c>, format version, payload length, SHA-256, payload) around a payload of a JSON
/// header with architecture, options, position and history, then the weights, the optimizer state, the random
/// generators' states and the best weights so far, each a 32-bit length and its bytes.
/// </summary>
/// <remarks>
/// Version 1 had the SHA-256 after the payload and stored the device and the checkpoint's own path among the options;
/// it is still read. Neither value is written any more: a checkpoint moved to another folder or machine resumes with
/// the path it was read from and the default device.
/// </remarks>
internal sealed class TrainingCheckpoint
{
    private const int FormatVersion = 2;
    private static readonly ChecksummedContainer Container = new("VAECKPT\n", "Vae training checkpoint", FormatVersion, trailingHashVersions: 1);
    private static readonly string[] MachineSpecificOptions = [nameof(VaeTrainerOptions.Device), nameof(VaeTrainerOptions.CheckpointPath)];
    // The best validation loss starts at +infinity.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly Header header;
    // Read from a file: the sections as stored.
    private readonly byte[]? weights;
    private readonly byte[]? optimizerState;
    // To be written: the weights and the optimizer state are written from the live tensors, each measured first, so
    // that a file of any size needs no copy of them in memory.
    private readonly Action<BinaryWriter>? writeWeights;
    private readonly Action<BinaryWriter>? writeOptimizerState;
    private readonly byte[] noiseState;
    private readonly byte[] shuffleState;
    private Dictionary<string, Tensor>? bestWeights;
    private Dictionary<string, byte[]>? bestWeightBytes;
    // The trainer's average of the weights (VaeTrainerOptions.WeightAverageDecay): live, or as read.
    private readonly WeightAverage? average;
    private readonly byte[]? averageBytes;

    /// <summary>A checkpoint of <paramref name="trainable"/>; a VAE (<paramref name="vae"/>, the same model) keeps the format its checkpoints always had.</summary>
    public TrainingCheckpoint(
        ITrainableModel trainable, VariationalAutoencoder? vae, VaeTrainerOptions options, TrainingState state, IReadOnlyList<EpochSummary> history,
        FlatAdam optimizer, Generator shuffle, Generator noise, Dictionary<string, Tensor>? best, WeightAverage? average = null)
    {
        header = new Header(vae?.Options, options, state, history.ToList(), best?.Keys.ToList() ?? []) {
            Model = vae is null ? trainable.Architecture : null,
            OwnDistributions = vae is not null && !vae.HasBuiltInDistributions,
            HasWeightAverage = average is not null,
        };
        this.average = average;
        if (vae is not null)
        {
            var vaeWeights = Serialize(writer => VaeModelFile.Save(vae, writer.BaseStream));
            writeWeights = writer => WriteBlob(writer, vaeWeights);
        }
        else
        {
            var named = trainable.Weights;
            writeWeights = Measured(writer => WeightTable.Write(writer, named), "the weights");
        }
        writeOptimizerState = Measured(optimizer.Save, "the optimizer state");
        shuffleState = GeneratorState.Save(shuffle);
        noiseState = GeneratorState.Save(noise);
        bestWeights = best;
    }

    private TrainingCheckpoint(Header header, byte[] weights, byte[] optimizerState, byte[] shuffleState, byte[] noiseState, Dictionary<string, byte[]> best,
        byte[]? averageBytes)
    {
        this.averageBytes = averageBytes;
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
    public Dictionary<string, Tensor>? TakeBestWeights(ITrainableModel model)
    {
        if (bestWeightBytes is not { Count: > 0 } stored) return null;
        var state = model.Weights;
        var taken = stored.ToDictionary(p => p.Key, p =>
        {
            if (!state.TryGetValue(p.Key, out var like))
                throw new InvalidDataException($"the checkpoint's best weights include '{p.Key}', which the model ({model.Architecture}) does not have");
            using var cpu = empty(like.shape, dtype: like.dtype);
            if (p.Value.Length != cpu.numel() * cpu.element_size())
                throw new InvalidDataException($"the checkpoint's best weights for '{p.Key}' hold {p.Value.Length} bytes, the model's tensor {cpu.numel() * cpu.element_size()}");
            cpu.bytes = p.Value;
            return cpu.to(like.device).DetachFromDisposeScope();
        });
        bestWeightBytes = null;
        return taken;
    }

    /// <summary>Writes the checkpoint; on a seekable stream (a file) straight from the tensors, without a copy of the payload in memory.</summary>
    public void WriteTo(Stream stream)
    {
        if (writeWeights is null || writeOptimizerState is null)
            throw new InvalidOperationException("A checkpoint read from a file is restored, not written again.");
        Container.Write(stream, payload =>
        {
            using var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true);
            writer.Write(SerializeHeader(header));
            writeWeights(writer);
            writeOptimizerState(writer);
            WriteBlob(writer, shuffleState);
            WriteBlob(writer, noiseState);
            foreach (var name in header.BestWeightNames)
            {
                using var tensor = bestWeights![name].cpu();
                var bytes = NativeTensor.Bytes(tensor);
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
            average?.Save(writer);
        });
    }

    /// <summary>
    /// The stored architecture and options, the options checkpointing to <paramref name="path"/>, where the file is now.
    /// The whole file is validated first, so a model built from the architecture fits the weights the file holds.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint is of another family than a VAE, which the caller must build.</exception>
    public static (VaeOptions Architecture, VaeTrainerOptions Options) ReadOptions(string path)
    {
        var header = ReadValidated(path).header;
        if (header.Architecture is null)
            throw new InvalidOperationException(
                $"Checkpoint '{path}' is of a {header.Model} model, not of a {nameof(VariationalAutoencoder)}: create that model, " +
                $"a {nameof(VaeTrainer)} for it, and call {nameof(VaeTrainer.LoadCheckpoint)}.");
        return (header.Architecture, header.Options with { CheckpointPath = path });
    }

    /// <summary>The checkpoint at <paramref name="path"/>, refused unless it is of <paramref name="trainable"/>'s architecture (<paramref name="vae"/>'s options for a VAE).</summary>
    public static TrainingCheckpoint Read(string path, ITrainableModel trainable, VariationalAutoencoder? vae)
    {
        var checkpoint = ReadValidated(path);
        var stored = checkpoint.header;
        var expected = vae is not null ? vae.Options.ToString() : trainable.Architecture;
        var matches = vae is not null ? stored.Architecture is not null && stored.Architecture.Equals(vae.Options) : stored.Model == trainable.Architecture;
        if (!matches)
            throw new InvalidDataException(
                $"Checkpoint '{path}' was written for a {(object?)stored.Architecture ?? stored.Model} model, but this model is {expected}.");
        return checkpoint;
    }

    private static TrainingCheckpoint ReadValidated(string path)
    {
        var (header, reader) = ReadPayload(path, out var payload);
        using (payload)
        using (reader)
        {
            var weights = ReadBlob(reader, "the weights", path);
            var optimizerState = ReadBlob(reader, "the optimizer state", path);
            var shuffleState = ReadBlob(reader, "the shuffling generator's state", path);
            var noiseState = ReadBlob(reader, "the noise generator's state", path);
            // Raw bytes: the trainer shapes them like its model, so reading needs no model of its own.
            var best = header.BestWeightNames.ToDictionary(name => name, name => ReadBlob(reader, $"the best weights of '{name}'", path));
            var averaged = header.HasWeightAverage ? ReadBlob(reader, "the averaged weights", path) : null;
            if (payload.Position != payload.Length)
                throw Invalid(path, $"{payload.Length - payload.Position} byte(s) follow the last section");
            ValidateSections(header, weights, optimizerState, shuffleState, noiseState, best, averaged, path);
            return new TrainingCheckpoint(header, weights, optimizerState, shuffleState, noiseState, best, averaged);
        }
    }

    public void Restore(ITrainableModel trainable, VariationalAutoencoder? vae, FlatAdam optimizer, Generator shuffle, Generator noise, WeightAverage? average = null)
    {
        if (average is not null && averageBytes is not null) average.CheckBytes(averageBytes); // before anything changes
        // Copies into the existing parameters, which are views of the optimizer's flat buffer.
        using (var stream = new MemoryStream(weights!))
        {
            if (vae is not null)
                VaeModelFile.LoadWeights(vae, stream);
            else
                WeightTable.Read(stream, trainable.Weights, "the checkpoint");
        }
        using (var reader = new BinaryReader(new MemoryStream(optimizerState!)))
            optimizer.Load(reader);
        GeneratorState.Restore(shuffle, shuffleState);
        GeneratorState.Restore(noise, noiseState);
        // A checkpoint of a run without an average, resumed with one: the average starts from the restored weights.
        if (average is null) return;
        if (averageBytes is null) average.Reset();
        else average.Load(averageBytes);
    }

    /// <summary>Reads and verifies the container, parses the JSON header and checks every field of it.</summary>
    private static (Header header, BinaryReader reader) ReadPayload(string path, out MemoryStream payload)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        byte[] bytes;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            bytes = Container.Read(file, path).Payload;
        payload = new MemoryStream(bytes, writable: false);
        var reader = new BinaryReader(payload, Encoding.UTF8);
        try
        {
            Header header;
            try
            {
                header = JsonSerializer.Deserialize<Header>(reader.ReadString(), Json) ?? throw Invalid(path, "its header is the JSON null");
            }
            catch (Exception e) when (e is EndOfStreamException or JsonException or IOException)
            {
                throw Invalid(path, $"its header is not readable ({e.Message})", e);
            }
            ValidateHeader(header, path);
            // Version 1 stored them; a checkpoint must not carry one machine's device or folder to another.
            return (header with { Options = header.Options with { Device = new VaeTrainerOptions().Device, CheckpointPath = null } }, reader);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static string SerializeHeader(Header header)
    {
        var json = JsonSerializer.SerializeToNode(header, Json)!;
        var options = json[nameof(Header.Options)]!.AsObject();
        foreach (var name in MachineSpecificOptions) options.Remove(name);
        return json.ToJsonString(Json);
    }

    /// <summary>
    /// Every field of the header must be possible: the checksum only says the file is as written, and a file written
    /// wrongly (or by hand) must not make a run train negative epochs or index outside its data.
    /// </summary>
    private static void ValidateHeader(Header header, string path)
    {
        if (header.Architecture is null && header.Model is null) throw Invalid(path, "its header has no Architecture");
        if (header.Architecture is not null && header.Model is not null) throw Invalid(path, "its header has both an Architecture and a Model");
        if (header.Options is null) throw Invalid(path, "its header has no Options");
        if (header.State is null) throw Invalid(path, "its header has no State");
        if (header.History is null) throw Invalid(path, "its header has no History");
        if (header.BestWeightNames is null) throw Invalid(path, "its header has no BestWeightNames");
        try
        {
            header.Architecture?.Validate();
        }
        catch (ArgumentException e)
        {
            throw Invalid(path, $"its field Architecture.{e.ParamName} is invalid: {e.Message}", e);
        }
        try
        {
            header.Options.Validate();
        }
        catch (ArgumentException e)
        {
            throw Invalid(path, $"its field Options.{e.ParamName} is invalid: {e.Message}", e);
        }

        var state = header.State;
        var epochs = header.Options.Epochs;
        Require(state.CompletedEpochs >= 0 && state.CompletedEpochs <= epochs, "State.CompletedEpochs", state.CompletedEpochs, $"must lie in 0-{epochs} (Options.Epochs)");
        Require(state.BatchInEpoch >= 0, "State.BatchInEpoch", state.BatchInEpoch, "must not be negative");
        Require(state.BatchInEpoch == 0 || state.CompletedEpochs < epochs, "State.BatchInEpoch", state.BatchInEpoch,
            $"must be 0 once all {epochs} epochs are complete");
        // Every completed epoch trained at least one batch.
        Require(state.GlobalStep >= (long)state.CompletedEpochs + state.BatchInEpoch, "State.GlobalStep", state.GlobalStep,
            $"must be at least State.CompletedEpochs + State.BatchInEpoch = {(long)state.CompletedEpochs + state.BatchInEpoch}");
        Require(state.BatchesPerEpoch >= 0, "State.BatchesPerEpoch", state.BatchesPerEpoch, "must not be negative");
        Require(state.ShuffleStateEpoch >= 0 && state.ShuffleStateEpoch <= state.CompletedEpochs + 1, "State.ShuffleStateEpoch",
            state.ShuffleStateEpoch, $"must lie in 0-{state.CompletedEpochs + 1} (State.CompletedEpochs + 1)");
        Require(state.EpochsWithoutImprovement >= 0 && state.EpochsWithoutImprovement <= state.CompletedEpochs,
            "State.EpochsWithoutImprovement", state.EpochsWithoutImprovement, $"must lie in 0-{state.CompletedEpochs} (State.CompletedEpochs)");
        Require(!double.IsNaN(state.BestValidationLoss) && !double.IsNegativeInfinity(state.BestValidationLoss),
            "State.BestValidationLoss", state.BestValidationLoss, "must be a number or +infinity");
        Require(state.BatchInEpoch == 0 || state.ShuffleStateAtEpochStart is { Length: > 0 }, "State.ShuffleStateAtEpochStart", "missing",
            "is needed to resume in the middle of an epoch");
        var sums = state.Sums;
        Require(sums.Steps >= 0 && sums.Samples >= 0, "State.Sums", $"{sums.Steps} steps and {sums.Samples} samples", "must not be negative");
        Require(state.BatchInEpoch == 0 || sums.Steps == state.BatchInEpoch, "State.Sums.Steps", sums.Steps,
            $"must equal State.BatchInEpoch ({state.BatchInEpoch}) in the middle of an epoch");
        Require(double.IsFinite(sums.Loss) && double.IsFinite(sums.Reconstruction) && double.IsFinite(sums.Kl), "State.Sums",
            $"loss {sums.Loss}", "must be finite");

        // 0 where a cosine schedule shorter than the run has reached a minimum of 0.
        Require(state.LearningRate is null || (double.IsFinite(state.LearningRate.Value) && state.LearningRate >= 0), "State.LearningRate",
            state.LearningRate?.ToString("R") ?? "null", "must be non-negative and finite, or null");
        Require(!double.IsNaN(state.PlateauBest) && !double.IsNegativeInfinity(state.PlateauBest), "State.PlateauBest", state.PlateauBest,
            "must be a number or +infinity");
        Require(state.PlateauBadEpochs >= 0 && state.PlateauBadEpochs <= state.CompletedEpochs, "State.PlateauBadEpochs", state.PlateauBadEpochs,
            $"must lie in 0-{state.CompletedEpochs} (State.CompletedEpochs)");
        var cooldown = (header.Options.LearningRateSchedule as ReduceOnPlateauSchedule)?.Cooldown ?? 0;
        Require(state.PlateauCooldown >= 0 && state.PlateauCooldown <= cooldown, "State.PlateauCooldown", state.PlateauCooldown,
            $"must lie in 0-{cooldown} (the schedule's Cooldown)");

        Require(header.History.Count == state.CompletedEpochs, "History", $"{header.History.Count} epoch(s)",
            $"must list one summary per completed epoch ({state.CompletedEpochs})");
        for (var i = 0; i < header.History.Count; i++)
        {
            Require(header.History[i] is { } summary && summary.Epoch == i + 1, $"History[{i}].Epoch", header.History[i]?.Epoch.ToString() ?? "null", $"must be {i + 1}");
            // 0 in checkpoints written before the rate was recorded.
            Require(double.IsFinite(header.History[i].LearningRate) && header.History[i].LearningRate >= 0, $"History[{i}].LearningRate",
                header.History[i].LearningRate, "must be non-negative and finite");
        }

        // A custom model's names (and those of other families) are known only to the model: they are checked against it on restoring.
        if (header.Architecture is null) return;
        // So are those of a likelihood or prior of the caller's own, which the options do not describe.
        var parameters = header.Architecture.Architecture == VaeArchitecture.Custom || header.OwnDistributions
            ? header.BestWeightNames.ToHashSet(StringComparer.Ordinal)
            : ExpectedParameters.Of(header.Architecture).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in header.BestWeightNames)
        {
            Require(parameters.Contains(name), "BestWeightNames", $"'{name}'", $"must name a parameter of the {header.Architecture} model");
            Require(seen.Add(name), "BestWeightNames", $"'{name}'", "must not be listed twice");
        }

        void Require(bool condition, string field, object value, string rule)
        {
            if (!condition) throw Invalid(path, $"its field {field} is {value}, but {rule}");
        }
    }

    /// <summary>The sections must have the sizes the architecture, the saved weights and each other imply.</summary>
    private static void ValidateSections(
        Header header, byte[] weights, byte[] optimizerState, byte[] shuffleState, byte[] noiseState, Dictionary<string, byte[]> best, byte[]? averaged,
        string path)
    {
        if (shuffleState.Length == 0) throw Invalid(path, "its shuffling generator's state is empty");
        if (noiseState.Length == 0) throw Invalid(path, "its noise generator's state is empty");
        // Another family's weights and optimizer state are checked against the model itself when they are restored.
        if (header.Architecture is null) return;
        var source = $"{path} (weights)";
        VaeOptions savedArchitecture;
        IReadOnlyList<(string Name, ScalarType DType, long[] Shape)> tensors;
        using (var stream = new MemoryStream(weights, writable: false))
            (savedArchitecture, tensors) = VaeModelFile.ReadTensorTable(stream, source);
        if (!savedArchitecture.Equals(header.Architecture))
            throw Invalid(path, $"its weights are for a {savedArchitecture} model, but its field Architecture is {header.Architecture}");
        var elementSize = tensors.Count > 0 ? ElementSize(tensors[0].DType) : 4;
        var bytesOf = tensors.ToDictionary(t => t.Name, t => ExpectedParameters.ElementCount(t.Shape)!.Value * ElementSize(t.DType), StringComparer.Ordinal);

        var moments = tensors.Sum(t => ExpectedParameters.ElementCount(t.Shape)!.Value) * elementSize;
        if (averaged is not null && averaged.Length != moments)
            throw Invalid(path, $"its averaged weights hold {averaged.Length} bytes, but the {header.Architecture} model's parameters take {moments}");
        using (var reader = new BinaryReader(new MemoryStream(optimizerState, writable: false)))
        {
            try
            {
                var steps = reader.ReadInt64();
                if (steps < 0) throw Invalid(path, $"its optimizer state has {steps} steps; the count must not be negative");
                for (var moment = 1; moment <= 2; moment++)
                {
                    var length = reader.ReadInt32();
                    if (length != moments)
                        throw Invalid(path, $"its optimizer state's moment {moment} holds {length} bytes, but the {header.Architecture} model's parameters take {moments}");
                    reader.BaseStream.Seek(length, SeekOrigin.Current);
                }
                if (reader.BaseStream.Position != optimizerState.Length)
                    throw Invalid(path, $"its optimizer state is {optimizerState.Length} bytes, not the {reader.BaseStream.Position} its fields describe");
            }
            catch (EndOfStreamException e)
            {
                throw Invalid(path, "its optimizer state ends early", e);
            }
        }

        if (header.State.ShuffleStateAtEpochStart is { } atStart && atStart.Length != shuffleState.Length)
            throw Invalid(path, $"its field State.ShuffleStateAtEpochStart holds {atStart.Length} bytes, but the shuffling generator's state {shuffleState.Length}");
        foreach (var (name, bytes) in best)
        {
            if (bytes.Length != bytesOf[name])
                throw Invalid(path, $"its best weights of '{name}' hold {bytes.Length} bytes, but the saved tensor takes {bytesOf[name]}");
        }
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 8,
        ScalarType.Float32 => 4,
        _ => 2,
    };

    private static InvalidDataException Invalid(string path, string detail, Exception? inner = null) =>
        Container.Corrupt(path, detail, inner);

    private static byte[] Serialize(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            write(writer);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes a section as <see cref="WriteBlob"/> would write <paramref name="write"/>'s bytes, without holding them:
    /// a first run into a stream that only counts gives the length that precedes them.
    /// </summary>
    private static Action<BinaryWriter> Measured(Action<BinaryWriter> write, string section) => writer =>
    {
        long length;
        using (var counter = new CountingStream())
        {
            using (var measuring = new BinaryWriter(counter, Encoding.UTF8, leaveOpen: true))
                write(measuring);
            length = counter.Length;
        }
        if (length > int.MaxValue) throw new IOException($"The checkpoint's {section} take {length} bytes, more than a section can hold.");
        writer.Write((int)length);
        writer.Flush();
        var start = writer.BaseStream.Position;
        write(writer);
        writer.Flush();
        if (writer.BaseStream.Position - start != length)
            throw new InvalidOperationException($"The checkpoint's {section} took {writer.BaseStream.Position - start} bytes, not the {length} measured.");
    };

    private static void WriteBlob(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadBlob(BinaryReader reader, string section, string path)
    {
        var remaining = reader.BaseStream.Length - reader.BaseStream.Position;
        if (remaining < sizeof(int)) throw Invalid(path, $"it ends before {section}");
        var length = reader.ReadInt32();
        if (length < 0 || length > remaining - sizeof(int))
            throw Invalid(path, $"{section} claims {length} bytes, but {Math.Max(0, remaining - sizeof(int))} remain");
        return reader.ReadBytes(length);
    }

    private sealed record Header(
        VaeOptions? Architecture, VaeTrainerOptions Options, TrainingState State, List<EpochSummary> History, List<string> BestWeightNames)
    {
        /// <summary>The <see cref="ITrainableModel.Architecture"/> of a model of another family than a VAE (whose <see cref="Architecture"/> is then null).</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Model { get; init; }

        /// <summary>True for a VAE with a likelihood or prior of the caller's own, whose parameter names only the model knows.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public bool OwnDistributions { get; init; }

        /// <summary>True when the averaged weights (<see cref="VaeTrainerOptions.WeightAverageDecay"/>) follow the best weights.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
        public bool HasWeightAverage { get; init; }
    }

    // A stream that keeps nothing and counts what is written to it.
    private sealed class CountingStream : Stream
    {
        private long written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => written;

        public override long Position
        {
            get => written;
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => written += buffer.Length;

        public override void Write(byte[] buffer, int offset, int count) => written += count;

        public override void WriteByte(byte value) => written++;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
