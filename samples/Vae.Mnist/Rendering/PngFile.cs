using SkiaSharp;

namespace Vae.Mnist.Rendering;

/// <summary>Writes PNGs atomically, so a viewer or a crash mid-write never leaves a half-written picture under the real name.</summary>
internal static class PngFile
{
    /// <summary>The suffix of the temporary file written next to the target before it is moved over it.</summary>
    public const string TemporarySuffix = ".tmp";

    public static void Write(SKBitmap bitmap, string path)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (Path.GetDirectoryName(fullPath) is { Length: > 0 } directory) Directory.CreateDirectory(directory);

        // Same folder as the target, so the move is a rename on one file system.
        var temporary = fullPath + TemporarySuffix;
        try
        {
            using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}x{bitmap.Height} picture as PNG."))
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                data.SaveTo(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

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
