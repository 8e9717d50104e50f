using SkiaSharp;

namespace Vae.Mnist.Tests;

/// <summary>Reads written pictures back the way any viewer would: as PNG files decoded from disk.</summary>
internal static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static SKBitmap Decode(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.AsSpan(0, Signature.Length).ToArray().Should().Equal(Signature, "the file must be a PNG");
        return SKBitmap.Decode(bytes) ?? throw new InvalidDataException($"{path} does not decode as an image.");
    }

    /// <summary>Every pixel whose colour is exactly <paramref name="colour"/> (alpha ignored).</summary>
    public static List<(int X, int Y)> PixelsOf(SKBitmap bitmap, SKColor colour)
    {
        var found = new List<(int, int)>();
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                if (pixel.Red == colour.Red && pixel.Green == colour.Green && pixel.Blue == colour.Blue) found.Add((x, y));
            }
        }
        return found;
    }
}
