namespace Vae.Core;

/// <summary>
/// Writes files so that a crash or an error at any moment leaves either the old file or the new one, never a mix:
/// the content goes to a temporary file of its own next to the target (<c>target.&lt;random&gt;.tmp</c>), is flushed to
/// disk, and is then renamed over the target. Every write has its own temporary name, so two writers of one file
/// (two processes saving into one folder) never meet in the middle: the last rename wins, whole.
/// </summary>
public static class AtomicFile
{
    /// <summary>The suffix of the temporary files written next to the target; a stray one comes from a killed process.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="path"/> atomically through <paramref name="write"/>, creating its folder if needed.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file could not be written; an earlier file at <paramref name="path"/> is unchanged and this write's temporary file is removed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } directory) Directory.CreateDirectory(directory);
        // Same folder as the target: a rename within one file system is atomic.
        var temporary = TemporaryPathFor(full);
        // CreateNew: should the name exist after all, it belongs to someone else, and the write fails rather than take it over.
        var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        try
        {
            using (stream)
            {
                write(stream);
                // Without this the rename can reach the disk before the data, and a power cut leaves an empty file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            // Only this write's own file: created above, so no other writer can be using it.
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>A fresh temporary name beside <paramref name="path"/> that still shows which file it was going to be.</summary>
    private static string TemporaryPathFor(string path) => $"{path}.{Guid.NewGuid():N}{TemporarySuffix}";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
