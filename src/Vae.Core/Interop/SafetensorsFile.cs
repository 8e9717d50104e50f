using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. Every range is checked against the file before any
/// tensor is made, so a damaged file is reported, not half read.
/// </summary>
internal static class SafetensorsFile
{
    private const string MetadataKey = "__metadata__";

    // The header of a state dict is a few KB; this bounds what a damaged length can make us allocate.
    private const long MaxHeaderLength = 100L << 20;

    /// <summary>
    /// The most tensors a file may name. The largest built-in architecture has a few dozen; this is far above that and
    /// keeps a hostile header of millions of entries from costing time and memory.
    /// </summary>
    internal const int MaxTensors = 4096;

    private static readonly Dictionary<string, ScalarType> DTypes = new()
    {
        ["F64"] = ScalarType.Float64, ["F32"] = ScalarType.Float32, ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64, ["I32"] = ScalarType.Int32, ["I16"] = ScalarType.Int16, ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte, ["BOOL"] = ScalarType.Bool,
    };

    /// <summary>Reads every tensor of the file, in the dtype it was stored in, on the CPU.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, its header is not valid JSON, or a tensor's entry is malformed or out of range.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string source) => ReadWithMetadata(stream, source).Tensors;

    /// <summary>The key under which <see cref="PyTorchInterop.Export"/> records a Vae-layout model's exact options.</summary>
    internal const string OptionsKey = "vae.options";

    /// <summary>Like <see cref="Read"/>, and also the header's <c>__metadata__</c> strings (empty when it has none).</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadWithMetadata(Stream stream, string source)
    {
        // The runtime's own messages for these name neither the file nor what in it is wrong.
        try
        {
            return ReadUnchecked(stream, source);
        }
        catch (Exception e) when (e is OutOfMemoryException or OverflowException)
        {
            throw new InvalidDataException(
                $"'{source}': the safetensors header claims more tensor data than one array can hold (about 2 GB) or memory allows; the file is damaged or too large for this reader ({e.Message}).", e);
        }
        catch (InvalidOperationException e) when (e.InnerException is DecoderFallbackException)
        {
            throw new InvalidDataException($"'{source}': the safetensors header is not valid UTF-8 ({e.Message}).", e);
        }
    }

    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadUnchecked(Stream stream, string source)
    {
        var lengthBytes = new byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw new InvalidDataException($"'{source}' is not a safetensors file: it is shorter than the 8-byte header length.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderLength || (stream.CanSeek && headerLength > (ulong)(stream.Length - 8)))
            throw new InvalidDataException($"'{source}' is not a safetensors file: its header claims {headerLength:N0} bytes, more than the file holds.");
        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
            throw new InvalidDataException($"'{source}' is truncated: its safetensors header of {headerLength:N0} bytes ends early.");
        var (entries, metadata) = ParseHeader(headerBytes, source);
        var dataLength = CheckContiguous(entries, source);
        if (stream.CanSeek && stream.Length - stream.Position > dataLength)
            throw TrailingBytes(source, stream.Length - stream.Position - dataLength, dataLength);
        var data = new byte[dataLength];
        if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
            throw new InvalidDataException($"'{source}' is truncated: its tensors need {dataLength:N0} bytes of data after the header.");
        if (!stream.CanSeek && stream.ReadByte() >= 0)
            throw TrailingBytes(source, 1, dataLength);

        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var entry in entries)
            {
                var tensor = empty(entry.Shape, entry.DType);
                tensors.Add(entry.Name, tensor);
                tensor.bytes = data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin));
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    /// <summary>Writes the tensors (float32 or any dtype the format names) with <c>{"format": "pt"}</c> as metadata.</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors) => Write(stream, tensors, null);

    /// <summary>Like <see cref="Write(Stream, IReadOnlyList{ValueTuple{string, Tensor}})"/>, with more metadata strings.</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var strings = new Dictionary<string, string> { ["format"] = "pt" };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) strings[key] = value;
        var header = new Dictionary<string, object>
        {
            [MetadataKey] = strings,
        };
        long offset = 0;
        var contents = new List<byte[]>();
        foreach (var (name, tensor) in tensors)
        {
            using var contiguous = tensor.detach().cpu().contiguous();
            var bytes = contiguous.bytes.ToArray();
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = NameOf(tensor.dtype),
                ["shape"] = tensor.shape,
                ["data_offsets"] = new[] { offset, offset + bytes.Length },
            };
            offset += bytes.Length;
            contents.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        // Readers that map the file expect the data to start 8-byte aligned; the format pads the header with spaces.
        var padded = (json.Length + 7) / 8 * 8;
        var lengthBytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
        stream.Write(lengthBytes);
        stream.Write(json);
        for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var bytes in contents) stream.Write(bytes);
    }

    private static InvalidDataException TrailingBytes(string source, long extra, long dataLength) =>
        new($"'{source}': {(extra == 1 ? "at least one byte follows" : $"{extra:N0} bytes follow")} the {dataLength:N0} bytes of data its tensors cover; a safetensors file ends with its last tensor.");

    /// <summary>
    /// Checks that the tensors' byte ranges tile the data from 0 without gaps or overlaps, as the safetensors reference
    /// requires, and returns the data's length.
    /// </summary>
    private static long CheckContiguous(List<Entry> entries, string source)
    {
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long end = 0;
        Entry? previous = null;
        foreach (var entry in ordered)
        {
            if (entry.Begin < end)
                throw new InvalidDataException(
                    $"'{source}': the tensors '{previous!.Name}' (bytes [{previous.Begin}, {previous.End})) and '{entry.Name}' (bytes [{entry.Begin}, {entry.End})) overlap; every tensor needs its own bytes.");
            if (entry.Begin > end)
                throw new InvalidDataException(
                    $"'{source}': the bytes [{end}, {entry.Begin}) before the tensor '{entry.Name}' belong to no tensor; the data of a safetensors file has no gaps.");
            end = entry.End;
            previous = entry;
        }
        return end;
    }

    private static string NameOf(ScalarType dtype) =>
        DTypes.FirstOrDefault(pair => pair.Value == dtype).Key
        ?? throw new ArgumentException($"safetensors has no name for the dtype {dtype}.", nameof(dtype));

    private sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    private static (List<Entry>, Dictionary<string, string>) ParseHeader(byte[] headerBytes, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}': the safetensors header is not valid JSON ({e.Message}).", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{source}': the safetensors header is not a JSON object.");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var item in property.Value.EnumerateObject())
                        {
                            if (item.Value.ValueKind == JsonValueKind.String) metadata[item.Name] = item.Value.GetString()!;
                        }
                    }
                    continue;
                }
                if (!names.Add(property.Name))
                    throw new InvalidDataException($"'{source}': the safetensors header names the tensor '{property.Name}' twice.");
                if (names.Count > MaxTensors)
                    throw new InvalidDataException(
                        $"'{source}': the safetensors header names more than {MaxTensors:N0} tensors ({document.RootElement.EnumerateObject().Count():N0} entries); no model of this library has that many.");
                entries.Add(ParseEntry(property, source));
            }
            return (entries, metadata);
        }
    }

    private static Entry ParseEntry(JsonProperty property, string source)
    {
        var where = $"'{source}', tensor '{property.Name}'";
        try
        {
            var value = property.Value;
            var dtypeName = value.GetProperty("dtype").GetString() ?? "";
            if (!DTypes.TryGetValue(dtypeName, out var dtype))
                throw new InvalidDataException($"{where}: the dtype '{dtypeName}' is not one this reader knows ({string.Join(", ", DTypes.Keys)}).");
            var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Any(d => d < 0)) throw new InvalidDataException($"{where}: the shape [{string.Join(", ", shape)}] has a negative size.");
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > int.MaxValue)
                throw new InvalidDataException($"{where}: data_offsets [{string.Join(", ", offsets)}] are not a range of the data.");
            var elements = shape.Aggregate(1L, (count, size) => checked(count * size));
            var expected = checked(elements * ElementSize(dtype));
            if (offsets[1] - offsets[0] != expected)
                throw new InvalidDataException($"{where}: {dtypeName} [{string.Join(", ", shape)}] needs {expected:N0} bytes, but data_offsets [{offsets[0]}, {offsets[1]}] hold {offsets[1] - offsets[0]:N0}.");
            return new Entry(property.Name, dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{where}: the entry needs \"dtype\", \"shape\" and \"data_offsets\" of the right kinds ({e.Message}).", e);
        }
    }

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
