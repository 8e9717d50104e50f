using System.Security.Cryptography;
using System.Text;

namespace Vae.Core;

/// <summary>
/// The one binary envelope of Vae's files (model files and training checkpoints), and the one place that checks its
/// sizes. Layout, little-endian: an 8-byte identifier, the format version (32-bit), the payload length in bytes
/// (64-bit), the SHA-256 of the payload (32 bytes), then the payload.
/// </summary>
/// <remarks>
/// Version 1 checkpoints put the SHA-256 after the payload instead; <see cref="TrailingHashVersions"/> lists such
/// versions so that they can still be read. Nothing is allocated from the announced length alone: on a seekable stream
/// the length is first compared with what the stream holds, on any other stream the payload is read in bounded chunks.
/// </remarks>
internal sealed class ChecksummedContainer
{
    /// <summary>The bytes before the payload.</summary>
    public const int HeaderSize = IdentifierSize + sizeof(int) + sizeof(long) + HashSize;

    /// <summary>The length of the identifier every file of a kind starts with.</summary>
    public const int IdentifierSize = 8;
    private const int HashSize = 32;
    private const int ChunkSize = 1 << 20;

    private readonly byte[] identifier;

    /// <param name="identifier">The 8 ASCII bytes every such file starts with.</param>
    /// <param name="kind">What a file of this kind is called in messages, e.g. "Vae model file".</param>
    /// <param name="version">The version written; also read.</param>
    /// <param name="trailingHashVersions">Older versions, also read, whose SHA-256 follows the payload.</param>
    public ChecksummedContainer(string identifier, string kind, int version, params int[] trailingHashVersions)
    {
        this.identifier = Encoding.ASCII.GetBytes(identifier);
        if (this.identifier.Length != IdentifierSize) throw new ArgumentException("The identifier must be 8 ASCII characters.", nameof(identifier));
        Kind = kind;
        Version = version;
        TrailingHashVersions = trailingHashVersions;
    }

    /// <summary>What a file of this kind is called in messages.</summary>
    public string Kind { get; }

    /// <summary>Whether <paramref name="firstBytes"/>, the first bytes of a file, are this kind's identifier.</summary>
    public bool Identifies(ReadOnlySpan<byte> firstBytes) => firstBytes.SequenceEqual(identifier);

    /// <summary>The version this library writes.</summary>
    public int Version { get; }

    /// <summary>Older versions still read, laid out with the checksum after the payload.</summary>
    public IReadOnlyList<int> TrailingHashVersions { get; }

    /// <summary>Writes the header and <paramref name="payload"/> at the stream's position.</summary>
    public void Write(Stream stream, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        identifier.CopyTo(header);
        BitConverter.TryWriteBytes(header[IdentifierSize..], Version);
        BitConverter.TryWriteBytes(header[(IdentifierSize + sizeof(int))..], (long)payload.Length);
        SHA256.HashData(payload, header[(HeaderSize - HashSize)..]);
        stream.Write(header);
        stream.Write(payload);
    }

    /// <summary>
    /// Writes the header and the payload that <paramref name="writePayload"/> writes to the stream it is given, as
    /// <see cref="Write(Stream, ReadOnlySpan{byte})"/> would with the same bytes. On a seekable stream the payload goes
    /// straight through, hashed on the way, and the length and checksum are filled in afterwards, so no copy of it is
    /// held in memory; on any other stream it is buffered first.
    /// </summary>
    /// <exception cref="IOException">The payload is longer than a container can hold (<see cref="Array.MaxLength"/> bytes).</exception>
    public void Write(Stream stream, Action<Stream> writePayload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writePayload);
        if (!stream.CanSeek)
        {
            using var buffer = new MemoryStream();
            writePayload(buffer);
            Write(stream, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            return;
        }
        var start = stream.Position;
        Span<byte> header = stackalloc byte[HeaderSize];
        header.Clear();
        identifier.CopyTo(header);
        BitConverter.TryWriteBytes(header[IdentifierSize..], Version);
        stream.Write(header);
        long length;
        using (var hashing = new HashingStream(stream))
        {
            writePayload(hashing);
            hashing.Flush();
            length = hashing.Length;
            if (length > Array.MaxLength)
                throw new IOException($"The {Kind} payload is {length} bytes, more than a {Kind} can hold ({Array.MaxLength}).");
            hashing.GetHash(header[(HeaderSize - HashSize)..]);
        }
        BitConverter.TryWriteBytes(header[(IdentifierSize + sizeof(int))..], length);
        var end = stream.Position;
        stream.Position = start + IdentifierSize + sizeof(int);
        stream.Write(header[(IdentifierSize + sizeof(int))..]);
        stream.Position = end;
    }

    /// <summary>Reads exactly one container from the stream's position and returns its verified payload.</summary>
    /// <param name="stream">A readable stream; it is left after the container.</param>
    /// <param name="source">The file name (or other name) used in messages.</param>
    /// <returns>The version found and the payload, whose checksum matched.</returns>
    /// <exception cref="InvalidDataException">
    /// The stream does not start with the identifier, has an unknown version, is shorter than its header announces, or
    /// its checksum does not match; the message names <paramref name="source"/>.
    /// </exception>
    public (int Version, byte[] Payload) Read(Stream stream, string source)
    {
        if (!stream.CanRead) throw new ArgumentException("The stream must be readable.", nameof(stream));
        var header = new byte[IdentifierSize + sizeof(int) + sizeof(long)];
        var identifierRead = ReadUpTo(stream, header.AsSpan(0, IdentifierSize));
        if (identifierRead == 0 || !header.AsSpan(0, identifierRead).SequenceEqual(identifier.AsSpan(0, identifierRead)))
            throw new InvalidDataException(
                $"'{source}' is not a {Kind}: it does not start with the identifier \"{Printable(identifier)}\".");
        if (identifierRead < IdentifierSize) throw Truncated(source, $"it ends after {identifierRead} byte(s), inside the file identifier");

        if (ReadUpTo(stream, header.AsSpan(IdentifierSize, sizeof(int))) < sizeof(int))
            throw Truncated(source, "it ends inside the format version");
        var version = BitConverter.ToInt32(header, IdentifierSize);
        var trailingHash = TrailingHashVersions.Contains(version);
        if (version != Version && !trailingHash)
            throw new InvalidDataException(
                $"'{source}' has {Kind} format version {version}, but this version of Vae reads only {ReadableVersions()}.");

        if (ReadUpTo(stream, header.AsSpan(IdentifierSize + sizeof(int), sizeof(long))) < sizeof(long))
            throw Truncated(source, "it ends inside the header");
        var length = BitConverter.ToInt64(header, IdentifierSize + sizeof(int));
        if (length < 0) throw Corrupt(source, $"its header gives a negative payload length ({length})");
        if (stream.CanSeek)
        {
            var available = stream.Length - stream.Position - HashSize;
            if (available < length)
                throw Truncated(source, $"the header announces {length} payload bytes but only {Math.Max(0, available)} follow");
        }
        if (length > Array.MaxLength) throw Corrupt(source, $"its header gives an impossible payload length ({length})");

        var expectedHash = new byte[HashSize];
        if (!trailingHash && ReadUpTo(stream, expectedHash) < HashSize) throw Truncated(source, "it ends inside the checksum");
        var payload = ReadPayload(stream, (int)length, source);
        if (trailingHash && ReadUpTo(stream, expectedHash) < HashSize) throw Truncated(source, "it ends inside the checksum");
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(expectedHash))
            throw Corrupt(source, "the SHA-256 checksum of its contents does not match the one it was saved with");
        return (version, payload);
    }

    /// <summary>A message for contents that passed the checksum but make no sense: written wrongly, not damaged later.</summary>
    public InvalidDataException Corrupt(string source, string detail, Exception? inner = null) =>
        new($"'{source}' is a corrupted {Kind}: {detail}.", inner);

    /// <summary>A message for a file that ends before its header says it should.</summary>
    public InvalidDataException Truncated(string source, string detail) =>
        new($"'{source}' is a truncated {Kind}: {detail}.");

    /// <summary>
    /// The whole payload; on a stream of unknown length in chunks, so that a header announcing gigabytes over a short
    /// stream costs no more memory than the stream holds.
    /// </summary>
    private byte[] ReadPayload(Stream stream, int length, string source)
    {
        if (stream.CanSeek || length <= ChunkSize)
        {
            var payload = new byte[length];
            var read = ReadUpTo(stream, payload);
            if (read < length) throw Truncated(source, $"the header announces {length} payload bytes but only {read} follow");
            return payload;
        }
        using var buffer = new MemoryStream(ChunkSize);
        var chunk = new byte[ChunkSize];
        while (buffer.Length < length)
        {
            var read = ReadUpTo(stream, chunk.AsSpan(0, (int)Math.Min(ChunkSize, length - buffer.Length)));
            if (read == 0) throw Truncated(source, $"the header announces {length} payload bytes but only {buffer.Length} follow");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private string ReadableVersions()
    {
        var versions = TrailingHashVersions.Append(Version).Distinct().Order().ToList();
        return versions.Count == 1 ? $"version {versions[0]}" : $"versions {string.Join(", ", versions)}";
    }

    private static string Printable(byte[] bytes) =>
        Encoding.ASCII.GetString(bytes).Replace("\n", "\\n", StringComparison.Ordinal);

    private static int ReadUpTo(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = stream.Read(buffer[total..]);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    // Passes writes on to the container's stream (left open) and hashes and counts them on the way.
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
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

        public void GetHash(Span<byte> destination) => hash.GetHashAndReset(destination);

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
            written += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void WriteByte(byte value) => Write([value]);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
