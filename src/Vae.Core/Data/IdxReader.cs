using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Data;

/// <summary>
/// Reads unsigned-byte IDX files in the layout of the MNIST download: image files (magic 2051, three dimensions
/// count x rows x columns) and label files (magic 2049, one dimension). Files may be gzip-compressed or raw; gzip is
/// recognised by its 0x1f 0x8b header, not by the file name.
/// </summary>
/// <remarks>
/// Every problem with the content of a file (wrong magic number, implausible dimensions, a file shorter or longer
/// than its header announces, a corrupt gzip stream, out-of-range labels) is reported as an
/// <see cref="InvalidDataException"/> whose message names the file and what is wrong. Memory follows the bytes a file
/// holds, not the count its header claims: a raw file's length is compared with the header before anything is
/// allocated, and gzip content, whose length is unknown in advance, is read in growing chunks.
/// </remarks>
public static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned bytes with three dimensions (MNIST images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned bytes with one dimension (MNIST labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>The largest row or column count accepted; far above any real image set, it catches garbage headers.</summary>
    public const int MaxImageSide = 4096;

    private const byte UnsignedByteType = 0x08;
    private const int FirstChunk = 1 << 20;

    /// <summary>
    /// Reads an IDX image file into a float32 tensor of shape <c>[N, rows * columns]</c> with each pixel scaled to
    /// [0, 1] as <c>byte / 255</c>, so 255 maps to exactly 1.
    /// </summary>
    /// <param name="path">The file, gzip-compressed or raw.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid IDX image file; the message says why.</exception>
    public static Tensor ReadImages(string path) => ReadImagesWithSize(path).Images;

    /// <summary><see cref="ReadImages"/>, also returning the image size the header declares.</summary>
    internal static (Tensor Images, int Rows, int Columns) ReadImagesWithSize(string path)
    {
        var (data, dimensions) = ReadFile(path, ImagesMagic, "image");
        var (count, rows, columns) = (dimensions[0], dimensions[1], dimensions[2]);
        VaeRuntime.EnsureNativeLibraryLoadable();
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        // One conversion over the whole block instead of a managed loop over every pixel.
        var bytes = torch.tensor(data, new long[] { count, (long)rows * columns }, ScalarType.Byte);
        return (bytes.to_type(ScalarType.Float32).div_(s[255f]).MoveToOuterDisposeScope(), rows, columns);
    }

    /// <summary>Reads an IDX label file into an int64 tensor of shape <c>[N]</c>.</summary>
    /// <param name="path">The file, gzip-compressed or raw.</param>
    /// <param name="classCount">Labels must lie in <c>[0, classCount)</c>; 10 for MNIST's digits.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is not in 1-256.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid IDX label file, or a label is outside <c>[0, classCount)</c>; the message says why.
    /// </exception>
    public static Tensor ReadLabels(string path, int classCount = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);
        var (data, dimensions) = ReadFile(path, LabelsMagic, "label");
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] >= classCount)
                throw Invalid(path, $"label {i} is {data[i]}, but labels must lie in 0-{classCount - 1}");
        }
        VaeRuntime.EnsureNativeLibraryLoadable();
        using var scope = NewDisposeScope();
        var bytes = torch.tensor(data, new long[] { dimensions[0] }, ScalarType.Byte);
        return bytes.to_type(ScalarType.Int64).MoveToOuterDisposeScope();
    }

    /// <summary>Reads and checks the header, then exactly the payload it announces, in one pass over the file.</summary>
    private static (byte[] Data, int[] Dimensions) ReadFile(string path, int expectedMagic, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The IDX {kind} file '{path}' does not exist.", path);

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var gzip = IsGzip(file);
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        var what = gzip ? "the decompressed content" : "the file";
        try
        {
            var magicBytes = new byte[4];
            var got = ReadFully(stream, magicBytes);
            if (got == 0)
                throw Invalid(path, gzip ? "the gzip stream contains no data" : "the file is empty (0 bytes)");
            if (got < 4)
                throw Invalid(path, $"{what} is only {got} byte(s) long, too short for an IDX header");
            CheckMagic(path, BinaryPrimitives.ReadInt32BigEndian(magicBytes), expectedMagic, kind);

            var dimensionCount = expectedMagic & 0xff;
            var headerBytes = new byte[4 * dimensionCount];
            got = ReadFully(stream, headerBytes);
            if (got < headerBytes.Length)
                throw Invalid(path, $"{what} ends inside the IDX header ({4 + got} of {4 + headerBytes.Length} header bytes)");
            var dimensions = new int[dimensionCount];
            for (var i = 0; i < dimensionCount; i++)
                dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(headerBytes.AsSpan(4 * i));
            var length = CheckDimensions(path, dimensions, kind);
            var headerLength = 4 + headerBytes.Length;
            InvalidDataException Truncated(long present) => Invalid(path,
                $"{what} is truncated: the header announces {Describe(dimensions)} = {headerLength + length} bytes, " +
                $"but there are only {headerLength + present}" + (gzip ? " (the gzip file may have been cut short)" : ""));
            InvalidDataException Trailing(long extra) => Invalid(path,
                $"{what} has {extra} trailing byte(s) after the {headerLength + length} bytes the header announces " +
                $"({Describe(dimensions)})");

            if (!gzip)
            {
                var present = file.Length - headerLength;
                if (present < length) throw Truncated(present);
                if (present > length) throw Trailing(present - length);
            }
            byte[] data;
            if (gzip)
            {
                data = ReadGrowing(stream, length, out got);
            }
            else
            {
                // The length is known to be there.
                data = new byte[length];
                got = ReadFully(stream, data);
            }
            if (got < length) throw Truncated(got);
            var remaining = CountRemaining(stream);
            if (remaining > 0) throw Trailing(remaining);
            return (data, dimensions);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(Prefix(path), StringComparison.Ordinal))
        {
            // GZipStream reports a corrupt stream without saying which file it was reading.
            throw Invalid(path, $"the gzip stream is corrupt ({e.Message})", e);
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> signature = stackalloc byte[2];
        var got = file.Read(signature);
        if (got == 1) got += file.Read(signature[1..]);
        file.Position = 0;
        return got == 2 && signature[0] == 0x1f && signature[1] == 0x8b;
    }

    private static void CheckMagic(string path, int magic, int expectedMagic, string kind)
    {
        if (magic == expectedMagic) return;
        var expected = $"the IDX {kind} magic number {expectedMagic} (0x{expectedMagic:x8})";
        var found = $"0x{magic:x8}";
        // The magic is 0, 0, data type, dimension count: name the part that differs when it is an IDX file at all.
        if ((magic & unchecked((int)0xffff0000)) != 0)
            throw Invalid(path, $"it does not start with {expected} but with {found}; it is not an IDX file");
        if (((magic >> 8) & 0xff) != UnsignedByteType)
            throw Invalid(path,
                $"its magic number {found} declares data type 0x{(magic >> 8) & 0xff:x2}, but {expected} holds unsigned bytes (0x08)");
        throw Invalid(path,
            $"its magic number {found} declares {magic & 0xff} dimension(s), but {expected} has {expectedMagic & 0xff}");
    }

    /// <summary>Checks the sizes and returns the payload length in bytes.</summary>
    private static int CheckDimensions(string path, int[] dimensions, string kind)
    {
        if (dimensions[0] <= 0)
            throw Invalid(path, $"the header announces {dimensions[0]} {kind}s; there must be at least one");
        for (var i = 1; i < dimensions.Length; i++)
        {
            if (dimensions[i] <= 0 || dimensions[i] > MaxImageSide)
                throw Invalid(path,
                    $"the header announces {Describe(dimensions)}; image sides must lie in 1-{MaxImageSide}");
        }
        long length = 1;
        foreach (var size in dimensions) length *= size;
        if (length > Array.MaxLength)
            throw Invalid(path, $"the header announces {Describe(dimensions)} = {length} bytes, more than one array can hold");
        return (int)length;
    }

    private static string Describe(int[] dimensions) =>
        dimensions.Length == 1 ? $"{dimensions[0]} items" : string.Join(" x ", dimensions);

    private static int ReadFully(Stream stream, byte[] buffer, int offset = 0)
    {
        var total = offset;
        while (total < buffer.Length)
        {
            var got = stream.Read(buffer, total, buffer.Length - total);
            if (got == 0) break;
            total += got;
        }
        return total - offset;
    }

    /// <summary>
    /// Up to <paramref name="length"/> bytes into a buffer that doubles only while data keeps coming, so a stream
    /// shorter than announced costs memory in proportion to what it holds.
    /// </summary>
    private static byte[] ReadGrowing(Stream stream, int length, out int got)
    {
        var data = new byte[Math.Min(length, FirstChunk)];
        got = 0;
        while (true)
        {
            got += ReadFully(stream, data, got);
            if (got < data.Length || data.Length == length) return data;
            Array.Resize(ref data, (int)Math.Min(2L * data.Length, length));
        }
    }

    private static long CountRemaining(Stream stream)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int got;
        while ((got = stream.Read(buffer, 0, buffer.Length)) > 0) total += got;
        return total;
    }

    private static string Prefix(string path) => $"The IDX file '{path}' is invalid: ";

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new(Prefix(path) + problem + ".", inner);
}
