namespace Vae.Samples;

/// <summary>
/// Writes the samples' own files (pictures) so that a crash at any moment leaves the old file or the new one, never a
/// half-written one: the content goes to a temporary file of its own beside the target
/// (<c>target.&lt;random&gt;.tmp</c>, the pattern the library's saves use) and is then renamed over it.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The suffix of the temporary files; a stray one comes from a killed process.</summary>
    public const string TemporarySuffix = ".tmp";

    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { Length: > 0 } directory) Directory.CreateDirectory(directory);
        // Unique per write, so two runs drawing into one folder cannot take each other's file away.
        var temporary = $"{full}.{Guid.NewGuid():N}{TemporarySuffix}";
        var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        try
        {
            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary); // this write's own file only
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The original error matters more than a leftover temporary file.
            }
            throw;
        }
    }
}
