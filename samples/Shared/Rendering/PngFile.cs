using SkiaSharp;
using Vae.Core;

namespace Vae.Samples.Rendering;

/// <summary>Writes PNGs atomically, so a viewer or a crash mid-write never leaves a half-written picture under the real name.</summary>
internal static class PngFile
{
    /// <summary>The suffix of the temporary file written next to the target before it is moved over it.</summary>
    public const string TemporarySuffix = AtomicFile.TemporarySuffix;

    public static void Write(SKBitmap bitmap, string path)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        AtomicFile.Write(path, file => file.Write(Encode(bitmap)));
    }

    /// <summary>The PNG encoding of <paramref name="bitmap"/>.</summary>
    public static byte[] Encode(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}x{bitmap.Height} picture as PNG.");
        return data.ToArray();
    }
}
