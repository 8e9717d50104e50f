using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Reads and writes the file <c>torch.save(model.state_dict(), path)</c> makes (a zip with a pickle and one entry per
/// storage).
/// </summary>
/// <remarks>
/// Reading uses <see cref="StateDictUnpickler"/>, this library's own interpreter for the pickle opcodes
/// <c>torch.save</c> writes: it accepts only the few globals a state dict names, checks every storage's claimed size
/// against its zip entry before allocating it, reads each storage once (tied weights share one) and builds every tensor
/// from its storage, offset, sizes and strides, so transposed weights and views load as <c>torch.load</c> loads them.
/// Writing uses TorchSharp.PyBridge's public <c>save_py</c> on a module of no layers that hands out the dictionary to save.
/// </remarks>
internal static class PickledStateDict
{
    /// <summary>Reads every tensor of the file, in the dtype it was stored in, on the CPU.</summary>
    /// <exception cref="InvalidDataException">The file is not a zip-format <c>torch.save</c> file of a state dict.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        CheckArchive(stream, source);
        var budget = stream.CanSeek ? MaxUncompressedBytes(stream.Length - stream.Position) : long.MaxValue;
        try
        {
            using var archive = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read, leaveOpen: true);
            return StateDictUnpickler.Read(archive, source, budget);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith($"'{source}'", StringComparison.Ordinal))
        {
            throw NotAStateDict(source, e.Message, e);
        }
        catch (OutOfMemoryException e)
        {
            throw new InvalidDataException($"'{source}': reading its tensors ran out of memory ({e.Message}).", e);
        }
    }

    internal static InvalidDataException NotAStateDict(string source, string reason, Exception? inner = null) =>
        new($"'{source}' is not a PyTorch state dict saved with torch.save(model.state_dict(), path) in the zip format of PyTorch 1.6 and later ({reason}).", inner);

    /// <summary>The most entries the zip may hold: a pickle, a version and a few more besides one entry per tensor.</summary>
    internal const int MaxEntries = SafetensorsFile.MaxTensors + 16;

    /// <summary>
    /// The most bytes the entries may decompress to, for a file of <paramref name="fileLength"/> bytes:
    /// <c>torch.save</c> stores its entries uncompressed, and weights barely compress, so an honest file's entries hold
    /// about its own size; a file that inflates to more is refused before any of it is decoded.
    /// </summary>
    internal static long MaxUncompressedBytes(long fileLength) => 4 * fileLength + (1L << 20);

    /// <summary>
    /// Checks the zip's entries (their number, their declared sizes, and the bytes they really inflate to, read in
    /// small chunks and never kept) against <see cref="MaxUncompressedBytes"/> before the unpickler allocates anything.
    /// </summary>
    private static void CheckArchive(Stream stream, string source)
    {
        if (!stream.CanSeek) return;
        var start = stream.Position;
        var budget = MaxUncompressedBytes(stream.Length - start);
        try
        {
            using var archive = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read, leaveOpen: true);
            if (archive.Entries.Count > MaxEntries)
                throw new InvalidDataException($"'{source}': the zip holds {archive.Entries.Count:N0} entries; a state dict of a model of this library holds at most {MaxEntries:N0}.");
            long total = 0;
            var buffer = new byte[1 << 16];
            foreach (var entry in archive.Entries)
            {
                if (entry.Length > budget - total)
                    throw new InvalidDataException(
                        $"'{source}': the zip entry '{entry.FullName}' declares {entry.Length:N0} uncompressed bytes; with the entries before it that is more than the {budget:N0} a {stream.Length - start:N0}-byte PyTorch file can honestly hold.");
                long actual = 0;
                using (var content = entry.Open())
                {
                    int read;
                    while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        actual += read;
                        if (actual > entry.Length)
                            throw new InvalidDataException(
                                $"'{source}': the zip entry '{entry.FullName}' inflates to more than the {entry.Length:N0} bytes it declares.");
                    }
                }
                total += actual;
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith($"'{source}'", StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"'{source}' is not a PyTorch state dict saved with torch.save(model.state_dict(), path) in the zip format of PyTorch 1.6 and later ({e.Message}).", e);
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>Writes the tensors as a state dict that <c>torch.load(path, weights_only=True)</c> reads.</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        using var holder = new StateDictHolder(tensors.ToDictionary(t => t.Name, t => t.Tensor));
        holder.save_py(stream, leaveOpen: true);
    }

    private sealed class StateDictHolder(Dictionary<string, Tensor> tensors) : nn.Module(nameof(StateDictHolder))
    {
        public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null) => tensors;
    }
}
