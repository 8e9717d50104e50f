using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Saves a <see cref="VariationalAutoencoder"/> to one self-describing file (architecture and weights) and loads it
/// back without knowing the architecture in advance. <see cref="VariationalAutoencoder.Save(string)"/> and
/// <see cref="VariationalAutoencoder.Load(string)"/> forward here.
/// </summary>
/// <remarks>
/// <para>Layout, little-endian (the envelope shared with training checkpoints):</para>
/// <list type="number">
/// <item>the 8-byte identifier <c>VAEMODEL</c>;</item>
/// <item>the format version, a 32-bit integer (<see cref="FormatVersion"/>);</item>
/// <item>the payload length in bytes, a 64-bit integer;</item>
/// <item>the SHA-256 of the payload, 32 bytes;</item>
/// <item>the payload: the <see cref="VaeOptions"/> as UTF-8 JSON (32-bit length first), the number of tensors
/// (32-bit), then per tensor its state-dict name, dtype, rank, dimensions (64-bit each), byte count (64-bit) and raw
/// bytes in the machine's native (little-endian on every platform .NET runs on) element order; then, optionally, the
/// attachments: their count (32-bit) and per attachment its name and its UTF-8 text (32-bit length first).</item>
/// </list>
/// <para>
/// Attachments carry what belongs with a model but is not a weight (a table's column scaling, an anomaly threshold):
/// one file, one checksum. A file without them ends after the tensors, which is how format 1 always ended, so files
/// with and without attachments share the format version, and older readers read the weights of either.
/// </para>
/// <para>
/// The weights use a format of Vae's own rather than TorchSharp's <c>Module.save</c>, so that names and shapes can be
/// compared with a model's before any of them is copied, and a mismatch reported tensor by tensor. The tensor table is
/// also checked against the shapes the stored architecture implies before a model is built, so a file cannot make
/// <see cref="Load(string)"/> allocate more than the weights it holds.
/// </para>
/// </remarks>
public static class VaeModelFile
{
    /// <summary>The format version this library writes, and the only one it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The suffix of the temporary file a save writes before it replaces the target.</summary>
    public const string TemporarySuffix = AtomicFile.TemporarySuffix;

    private static readonly ChecksummedContainer Container = new("VAEMODEL", "Vae model file", FormatVersion);
    private const string StreamSource = "the stream";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    /// <summary>
    /// Saves the model's architecture and weights to <paramref name="path"/>, atomically: the file is written to
    /// <c>path + ".tmp"</c> in the same folder, flushed to disk, and then moved over <paramref name="path"/>, so a
    /// crash or error leaves any earlier file at <paramref name="path"/> intact.
    /// </summary>
    /// <param name="model">The model to save; it is not changed.</param>
    /// <param name="path">The file to create or replace.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be written; the previous file, if any, is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written and the previous file is unchanged.</exception>
    public static void Save(VariationalAutoencoder model, string path) => Save(model, path, attachments: null);

    /// <summary>
    /// Saves the model with <paramref name="attachments"/>: named texts (usually JSON) that travel in the same file
    /// and under the same checksum, read back with <see cref="ReadAttachments(string)"/>. Atomic like
    /// <see cref="Save(VariationalAutoencoder, string)"/>.
    /// </summary>
    /// <param name="model">The model to save; it is not changed.</param>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="attachments">Name to text; null or empty for none. Names are 1 to <see cref="MaxAttachmentNameLength"/> characters.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or an attachment's name is empty or too long.</exception>
    /// <exception cref="IOException">The file could not be written; the previous file, if any, is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written and the previous file is unchanged.</exception>
    public static void Save(VariationalAutoencoder model, string path, IReadOnlyDictionary<string, string>? attachments)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // Before the temporary file exists: a disposed model must not replace a good file with an empty one.
        model.ThrowIfDisposed();
        var payload = BuildPayload(model, attachments);
        AtomicFile.Write(path, stream => WriteFile(stream, payload));
    }

    /// <summary>The longest attachment name a file may hold.</summary>
    public const int MaxAttachmentNameLength = 256;

    /// <summary>Writes the model's architecture and weights to <paramref name="stream"/> at its current position.</summary>
    /// <param name="model">The model to save; it is not changed.</param>
    /// <param name="stream">A writable stream; it is left open.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written.</exception>
    public static void Save(VariationalAutoencoder model, Stream stream) => Save(model, stream, attachments: null);

    /// <summary>Writes the model and <paramref name="attachments"/> to <paramref name="stream"/> at its current position.</summary>
    /// <param name="model">The model to save; it is not changed.</param>
    /// <param name="stream">A writable stream; it is left open.</param>
    /// <param name="attachments">Name to text; null or empty for none.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable, or an attachment's name is empty or too long.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written.</exception>
    public static void Save(VariationalAutoencoder model, Stream stream, IReadOnlyDictionary<string, string>? attachments)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        model.ThrowIfDisposed();
        if (!stream.CanWrite) throw new ArgumentException("The stream must be writable.", nameof(stream));
        WriteFile(stream, BuildPayload(model, attachments));
    }

    /// <summary>Reads the attachments saved with a model (the whole file is verified first).</summary>
    /// <param name="path">The model file.</param>
    /// <returns>Name to text, in the order saved; empty for a file saved without attachments.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid Vae model file; see <see cref="Load(string)"/>.</exception>
    public static IReadOnlyDictionary<string, string> ReadAttachments(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = OpenRead(path);
        return ReadAttachments(stream, path);
    }

    /// <summary>Reads the attachments of one saved model from <paramref name="stream"/>'s current position.</summary>
    /// <param name="stream">A readable stream; it is left open.</param>
    /// <param name="sourceName">What to call the source in error messages; the file name of a <see cref="FileStream"/> when null.</param>
    /// <returns>Name to text, in the order saved; empty for a file saved without attachments.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid saved model.</exception>
    public static IReadOnlyDictionary<string, string> ReadAttachments(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadContents(stream, SourceName(stream, sourceName)).Attachments;
    }

    /// <summary>Loads a model saved by <see cref="Save(VariationalAutoencoder, string)"/>, on the CPU.</summary>
    /// <param name="path">The model file.</param>
    /// <returns>A new model with the saved architecture and weights, in evaluation mode; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a Vae model file, is truncated, is corrupted (checksum mismatch, or tensors that do not match its
    /// architecture), or has an unknown format version; the message says which and names the file. Nothing is
    /// allocated for the model before these checks pass.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// The file holds a model with the caller's own encoder and decoder (<see cref="VaeArchitecture.Custom"/>): build
    /// it with them and call <see cref="LoadWeights(VariationalAutoencoder, string)"/>.
    /// </exception>
    public static VariationalAutoencoder Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads a model from <paramref name="stream"/>, reading exactly one saved model from its current position.</summary>
    /// <param name="stream">A readable stream; it is left open.</param>
    /// <param name="sourceName">What to call the source in error messages; the file name of a <see cref="FileStream"/> when null.</param>
    /// <returns>A new model with the saved architecture and weights, on the CPU, in evaluation mode; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The data is not a Vae model, is truncated, corrupted, or of an unknown format version.</exception>
    /// <exception cref="InvalidOperationException">The data holds a model with the caller's own encoder and decoder; see <see cref="Load(string)"/>.</exception>
    public static VariationalAutoencoder Load(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var source = SourceName(stream, sourceName);
        var contents = ReadContents(stream, source);
        RefuseCustom(contents.Options, source, "VariationalAutoencoder.Load");
        var (likelihood, prior) = Distributions(contents, source);
        var model = CreateWithoutTouchingTheGlobalGenerator(contents.Options, likelihood, prior);
        try
        {
            // A model saved in double precision comes back in double precision.
            var dtype = contents.Tensors.Count > 0 ? contents.Tensors[0].DType : ScalarType.Float32;
            if (dtype != ScalarType.Float32) model.to(dtype);
            CopyWeights(model, contents, source, "model");
            // A loaded model is for using, not training: layers such as dropout must behave deterministically.
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies the weights saved in <paramref name="path"/> into an existing model of the same architecture (on any
    /// device), for example to restore a checkpoint into a model that an optimizer already holds.
    /// </summary>
    /// <param name="model">The model whose parameters are overwritten in place.</param>
    /// <param name="path">The model file.</param>
    /// <exception cref="ArgumentException">
    /// The file's tensors do not match the model's: the message names the first tensor that differs with the shape the
    /// model expects and the shape the file holds, or the tensors that are missing or extra. The model is unchanged.
    /// </exception>
    /// <exception cref="InvalidDataException">The file is not a valid Vae model file; see <see cref="Load(string)"/>.</exception>
    public static void LoadWeights(VariationalAutoencoder model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        model.ThrowIfDisposed();
        using var stream = OpenRead(path);
        LoadWeights(model, stream, path);
    }

    /// <summary>Copies the weights of one saved model read from <paramref name="stream"/> into <paramref name="model"/>.</summary>
    /// <param name="model">The model whose parameters are overwritten in place.</param>
    /// <param name="stream">A readable stream; it is left open.</param>
    /// <param name="sourceName">What to call the source in error messages; the file name of a <see cref="FileStream"/> when null.</param>
    /// <exception cref="ArgumentException">The saved tensors do not match the model's; see <see cref="LoadWeights(VariationalAutoencoder, string)"/>.</exception>
    /// <exception cref="InvalidDataException">The data is not a valid saved model.</exception>
    public static void LoadWeights(VariationalAutoencoder model, Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        model.ThrowIfDisposed();
        var source = SourceName(stream, sourceName);
        var contents = ReadContents(stream, source);
        CopyWeights(model, contents, source, nameof(model));
    }

    /// <summary>Reads only the architecture stored in a model file (the whole file is still verified).</summary>
    /// <param name="path">The model file.</param>
    /// <returns>The saved <see cref="VaeOptions"/>.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid Vae model file.</exception>
    public static VaeOptions ReadOptions(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = OpenRead(path);
        return ReadContents(stream, path).Options;
    }

    /// <summary>The architecture and tensor table of one saved model, verified and checked like <see cref="Load(Stream, string?)"/>, without building a model.</summary>
    internal static (VaeOptions Options, IReadOnlyList<(string Name, ScalarType DType, long[] Shape)> Tensors) ReadTensorTable(Stream stream, string source)
    {
        var contents = ReadContents(stream, source);
        return (contents.Options, contents.Tensors.Select(t => (t.Name, t.DType, t.Shape)).ToList());
    }

    /// <summary>Parses the architecture JSON; fields missing from older files keep their defaults.</summary>
    internal static VaeOptions ParseOptions(string json, string source)
    {
        VaeOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<VaeOptions>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw Corrupt(source, $"its architecture is not valid JSON ({e.Message})", e);
        }
        if (options is null) throw Corrupt(source, "its architecture is the JSON null");
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw Corrupt(source, $"its architecture {json} is invalid: {e.Message}", e);
        }
        return options;
    }

    internal static string SerializeOptions(VaeOptions options) => JsonSerializer.Serialize(options, JsonOptions);

    /// <summary>
    /// The fresh weights are overwritten at once, so drawing them must not advance the global generator: a program that
    /// seeds it, loads a model and then samples should get the same samples as one that was handed the model.
    /// </summary>
    internal static VariationalAutoencoder CreateWithoutTouchingTheGlobalGenerator(VaeOptions options, DataLikelihood? likelihood = null, LatentPrior? prior = null)
    {
        VaeRuntime.EnsureNativeLibraryLoadable();
        using var state = get_rng_state();
        try
        {
            return new VariationalAutoencoder(options, likelihood, prior);
        }
        finally
        {
            set_rng_state(state);
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);

    private static string SourceName(Stream stream, string? sourceName) =>
        sourceName ?? (stream as FileStream)?.Name ?? StreamSource;

    private static byte[] BuildPayload(VariationalAutoencoder model, IReadOnlyDictionary<string, string>? attachments)
    {
        foreach (var name in attachments?.Keys ?? [])
        {
            if (name.Length is 0 or > MaxAttachmentNameLength)
                throw new ArgumentException(
                    $"An attachment's name must have 1 to {MaxAttachmentNameLength} characters, but '{name}' has {name.Length}.", nameof(attachments));
        }
        if (DistributionsAttachment(model) is { } distributions)
        {
            if (attachments?.ContainsKey(DistributionRegistry.AttachmentName) == true)
                throw new ArgumentException($"The attachment name '{DistributionRegistry.AttachmentName}' is the library's own.", nameof(attachments));
            attachments = new Dictionary<string, string>(attachments ?? new Dictionary<string, string>()) { [DistributionRegistry.AttachmentName] = distributions };
        }
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            var json = Encoding.UTF8.GetBytes(SerializeOptions(model.Options));
            writer.Write(json.Length);
            writer.Write(json);
            // Outside the scope below: these are the model's own parameter tensors.
            var state = model.state_dict();
            using var scope = NewDisposeScope();
            writer.Write(state.Count);
            foreach (var (name, tensor) in state)
            {
                var cpu = tensor.detach().cpu().contiguous();
                writer.Write(name);
                writer.Write((int)cpu.dtype);
                writer.Write((int)cpu.dim());
                foreach (var size in cpu.shape) writer.Write(size);
                var bytes = cpu.bytes;
                writer.Write((long)bytes.Length);
                writer.Write(bytes);
            }
            if (attachments is { Count: > 0 })
            {
                writer.Write(attachments.Count);
                foreach (var (name, text) in attachments)
                {
                    writer.Write(name);
                    var utf8 = Encoding.UTF8.GetBytes(text ?? "");
                    writer.Write(utf8.Length);
                    writer.Write(utf8);
                }
            }
        }
        return memory.ToArray();
    }

    // The names of a likelihood and a prior of the caller's own, which loading finds in the registry; null for built-in ones,
    // whose files stay as they were before distributions were types.
    private static string? DistributionsAttachment(VariationalAutoencoder model)
    {
        var names = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (model.Likelihood.BuiltIn is null)
        {
            var name = model.Likelihood.Name;
            if (!DistributionRegistry.IsLikelihoodRegistered(name))
                throw new InvalidOperationException(
                    $"This model's likelihood '{name}' ({model.Likelihood.GetType().Name}) is not registered, so a loaded file could not rebuild it: {DistributionRegistry.HowToRegisterLikelihood(name)}.");
            names["Likelihood"] = name;
        }
        if (model.Prior.BuiltIn is null)
        {
            var name = model.Prior.Name;
            if (!DistributionRegistry.IsPriorRegistered(name))
                throw new InvalidOperationException(
                    $"This model's prior '{name}' ({model.Prior.GetType().Name}) is not registered, so a loaded file could not rebuild it: {DistributionRegistry.HowToRegisterPrior(name)}.");
            names["Prior"] = name;
        }
        return names.Count == 0 ? null : JsonSerializer.Serialize(names);
    }

    // The likelihood and prior a file names in its distributions attachment, from the registry; null for the options' own.
    private static (DataLikelihood? Likelihood, LatentPrior? Prior) Distributions(FileContents contents, string source)
    {
        if (!contents.Attachments.TryGetValue(DistributionRegistry.AttachmentName, out var json)) return (null, null);
        Dictionary<string, string>? names;
        try
        {
            names = JsonSerializer.Deserialize<Dictionary<string, string>>(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' names its distributions in JSON that does not parse: {e.Message}", e);
        }
        DataLikelihood? likelihood = null;
        LatentPrior? prior = null;
        if (names?.TryGetValue("Likelihood", out var likelihoodName) == true)
            likelihood = DistributionRegistry.CreateLikelihood(likelihoodName, contents.Options)
                ?? throw new InvalidOperationException($"'{source}' holds a model with the likelihood '{likelihoodName}', which is not registered: {DistributionRegistry.HowToRegisterLikelihood(likelihoodName)}.");
        if (names?.TryGetValue("Prior", out var priorName) == true)
            prior = DistributionRegistry.CreatePrior(priorName, contents.Options)
                ?? throw new InvalidOperationException($"'{source}' holds a model with the prior '{priorName}', which is not registered: {DistributionRegistry.HowToRegisterPrior(priorName)}.");
        return (likelihood, prior);
    }

    private static void WriteFile(Stream stream, byte[] payload)
    {
        Container.Write(stream, payload);
        stream.Flush();
    }

    /// <summary>Reads, verifies and parses one saved model, and checks its tensors against its architecture.</summary>
    private static FileContents ReadContents(Stream stream, string source)
    {
        var (_, payload) = Container.Read(stream, source);
        FileContents contents;
        try
        {
            contents = ParsePayload(payload, source);
        }
        catch (Exception e) when (e is IOException or ArgumentException or OverflowException)
        {
            // The checksum matched, so this is a file written wrongly rather than damaged later.
            throw Corrupt(source, $"its contents are malformed ({e.Message})", e);
        }
        CheckAgainstArchitecture(contents, source);
        return contents;
    }

    /// <summary>
    /// Throws when <paramref name="options"/> describe networks of the caller's own: only the caller can build them,
    /// and the file holds their weights, not their code.
    /// </summary>
    internal static void RefuseCustom(VaeOptions options, string source, string operation)
    {
        if (options.Architecture == VaeArchitecture.Custom)
            throw new InvalidOperationException(
                $"'{source}' holds a model with your own encoder and decoder ({options}): {operation} cannot build those. " +
                $"Create the model again with new {nameof(VariationalAutoencoder)}(encoder, decoder, options) using the same modules " +
                $"(the options are in the file: {nameof(VaeModelFile)}.{nameof(ReadOptions)}), then load the weights into it with " +
                $"{nameof(VariationalAutoencoder.LoadWeights)}.");
    }

    /// <summary>
    /// The file's tensors must be exactly those its architecture implies: a file is self-consistent before any model
    /// is built from it, so a crafted architecture cannot make loading allocate more than the file holds. A custom
    /// model's tensors are known only to its modules: they are checked against the model they are loaded into.
    /// </summary>
    private static void CheckAgainstArchitecture(FileContents contents, string source)
    {
        // Likewise a likelihood's or prior's of the caller's own, which the registry rebuilds.
        if (contents.Options.Architecture == VaeArchitecture.Custom || contents.Attachments.ContainsKey(DistributionRegistry.AttachmentName)) return;
        var saved = contents.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var expected = ExpectedParameters.Of(contents.Options);
        foreach (var (name, shape) in expected)
        {
            if (!saved.TryGetValue(name, out var tensor))
                throw Corrupt(source, $"its architecture {contents.Options} needs a tensor '{name}' of shape {FormatShape(shape)}, which the file does not hold");
            if (!tensor.Shape.SequenceEqual(shape))
                throw Corrupt(source,
                    $"its architecture {contents.Options} needs tensor '{name}' of shape {FormatShape(shape)}, but the file holds shape {FormatShape(tensor.Shape)}");
        }
        var names = expected.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var extra = saved.Keys.Where(name => !names.Contains(name)).ToList();
        if (extra.Count > 0)
            throw Corrupt(source, $"it holds tensor(s) its architecture {contents.Options} lacks: {string.Join(", ", extra.Select(n => $"'{n}'"))}");
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 8,
        ScalarType.Float32 => 4,
        _ => 2,
    };

    private static FileContents ParsePayload(byte[] payload, string source)
    {
        using var reader = new BinaryReader(new MemoryStream(payload, writable: false), Encoding.UTF8);
        var jsonLength = reader.ReadInt32();
        // ReadBytes allocates the count it is given, so the count must first fit in what the file holds.
        if (jsonLength < 0 || jsonLength > payload.Length - reader.BaseStream.Position)
            throw Corrupt(source, $"its architecture claims {jsonLength} bytes, but only {payload.Length - reader.BaseStream.Position} remain in the file");
        var json = Encoding.UTF8.GetString(reader.ReadBytes(jsonLength));
        var options = ParseOptions(json, source);
        var count = reader.ReadInt32();
        if (count < 0) throw Corrupt(source, $"it gives a negative tensor count ({count})");
        var tensors = new List<SavedTensor>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var dtype = (ScalarType)reader.ReadInt32();
            if (dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
                throw Corrupt(source, $"tensor '{name}' has dtype code {(int)dtype}, not a floating-point type");
            var rank = reader.ReadInt32();
            if (rank is < 0 or > 64) throw Corrupt(source, $"tensor '{name}' has rank {rank}");
            var shape = new long[rank];
            for (var d = 0; d < rank; d++) shape[d] = reader.ReadInt64();
            var byteCount = reader.ReadInt64();
            var elements = ExpectedParameters.ElementCount(shape);
            if (elements is null || elements.Value > payload.Length || elements.Value * ElementSize(dtype) != byteCount)
                throw Corrupt(source,
                    $"tensor '{name}' of shape {FormatShape(shape)} and dtype {dtype} needs " +
                    (elements is null ? "an impossible number of bytes" : $"{elements.Value * ElementSize(dtype)} bytes") +
                    $", but the file gives {byteCount}");
            if (byteCount > payload.Length - reader.BaseStream.Position)
                throw Corrupt(source, $"tensor '{name}' claims {byteCount} bytes, but only {payload.Length - reader.BaseStream.Position} remain in the file");
            var bytes = reader.ReadBytes((int)byteCount);
            if (bytes.Length != byteCount) throw new EndOfStreamException($"Tensor '{name}' ends early.");
            if (tensors.Any(t => t.Name == name)) throw Corrupt(source, $"it holds tensor '{name}' twice");
            tensors.Add(new SavedTensor(name, dtype, shape, bytes));
        }
        return new FileContents(options, tensors, ParseAttachments(reader, payload.Length, source));
    }

    /// <summary>Checks every name and shape first, so a mismatch leaves the model untouched.</summary>
    private static void CopyWeights(VariationalAutoencoder model, FileContents contents, string source, string modelParameterName)
    {
        var state = model.state_dict();
        var saved = contents.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        // The file's tensors already match its architecture, so a difference here is a difference of architectures.
        var architectures = contents.Options.Equals(model.Options)
            ? $"both are {model.Options} models"
            : $"the file holds a {contents.Options} model, the model is {model.Options}";
        foreach (var (name, tensor) in state)
        {
            if (!saved.TryGetValue(name, out var savedTensor))
                throw new ArgumentException(
                    $"'{source}' does not fit the model: it has no tensor '{name}' (the model expects shape " +
                    $"{Guard.Shape(tensor)}); {architectures}.", modelParameterName);
            if (!savedTensor.Shape.SequenceEqual(tensor.shape))
                throw new ArgumentException(
                    $"'{source}' does not fit the model: tensor '{name}' has shape {FormatShape(savedTensor.Shape)} in the file, " +
                    $"but the model expects shape {Guard.Shape(tensor)}; {architectures}.", modelParameterName);
        }
        var extra = saved.Keys.Where(name => !state.ContainsKey(name)).ToList();
        if (extra.Count > 0)
            throw new ArgumentException(
                $"'{source}' does not fit the model: it has tensor(s) the model lacks: {string.Join(", ", extra.Select(n => $"'{n}'"))}; {architectures}.",
                modelParameterName);

        using var scope = NewDisposeScope();
        var loaded = contents.Tensors.Select(t => (t.Name, Tensor: t.ToTensor())).ToList();
        // Every weight is checked before any is copied, so a refused file leaves an existing model as it was.
        foreach (var (name, tensor) in loaded) PyTorchInterop.CheckFinite(tensor, name, source);
        using var noGrad = no_grad();
        foreach (var (name, tensor) in loaded) state[name].copy_(tensor);
    }

    private static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static InvalidDataException Corrupt(string source, string detail, Exception? inner = null) =>
        Container.Corrupt(source, detail, inner);

    /// <summary>A file that ends after its tensors has none, which is how every file without attachments ends.</summary>
    private static IReadOnlyDictionary<string, string> ParseAttachments(BinaryReader reader, long payloadLength, string source)
    {
        var attachments = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.BaseStream.Position == payloadLength) return attachments;
        var count = reader.ReadInt32();
        // Each attachment takes at least 5 bytes (a one-byte name length, a name character, an empty text's length).
        if (count < 1 || count > (payloadLength - reader.BaseStream.Position) / 5)
            throw Corrupt(source, $"it announces {count} attachment(s), which the {payloadLength - reader.BaseStream.Position} remaining bytes cannot hold");
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            if (name.Length is 0 or > MaxAttachmentNameLength) throw Corrupt(source, $"attachment {i + 1} has a name of {name.Length} characters");
            var length = reader.ReadInt32();
            if (length < 0 || length > payloadLength - reader.BaseStream.Position)
                throw Corrupt(source, $"attachment '{name}' claims {length} bytes, but only {payloadLength - reader.BaseStream.Position} remain in the file");
            var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(reader.ReadBytes(length));
            if (!attachments.TryAdd(name, text)) throw Corrupt(source, $"it holds attachment '{name}' twice");
        }
        if (reader.BaseStream.Position != payloadLength)
            throw Corrupt(source, $"{payloadLength - reader.BaseStream.Position} byte(s) follow its last attachment");
        return attachments;
    }

    private sealed record FileContents(VaeOptions Options, IReadOnlyList<SavedTensor> Tensors, IReadOnlyDictionary<string, string> Attachments);

    private sealed record SavedTensor(string Name, ScalarType DType, long[] Shape, byte[] Bytes)
    {
        /// <summary>The byte count was checked against the shape when the file was read.</summary>
        public Tensor ToTensor()
        {
            var tensor = empty(Shape, dtype: DType);
            tensor.bytes = Bytes;
            return tensor;
        }
    }
}
