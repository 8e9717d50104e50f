using SkiaSharp;
using static TorchSharp.torch;

namespace Vae.Samples.Rendering;

/// <summary>
/// Tiles grayscale images (values in [0, 1], row-major, one image after another) into a PNG: white digits on black
/// tiles, as MNIST stores them, on a white page with the tiles separated by a small gap.
/// </summary>
/// <remarks>
/// Layout, with s = Scale, g = Gap, T = TitleHeight when row titles are set (else 0), C = CaptionHeight when a caption
/// is set (else 0), and rows = ceil(N / columns): the picture is columns * width * s + (columns + 1) * g wide and
/// C + rows * (T + height * s) + (rows + 1) * g high; tile i sits in row i / columns, column i % columns.
/// A pixel of value v is drawn as gray round(v * 255); values outside [0, 1] are clamped.
/// </remarks>
public static class ImageGrid
{
    /// <summary>Writes <paramref name="pixels"/>, N images of <paramref name="height"/> x <paramref name="width"/>, as a grid.</summary>
    /// <param name="path">The PNG to write (atomically; its folder is created if missing).</param>
    /// <param name="pixels">N * height * width values in [0, 1].</param>
    /// <param name="height">The height of one image in pixels (28 for MNIST).</param>
    /// <param name="width">The width of one image in pixels (28 for MNIST).</param>
    /// <param name="columns">Images per row; the last row may be partly empty.</param>
    /// <param name="options">Scale, gap, titles and caption; defaults when null.</param>
    public static void Save(string path, float[] pixels, int height, int width, int columns, ImageGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        using var bitmap = Render(pixels, height, width, columns, options ?? new ImageGridOptions());
        PngFile.Write(bitmap, path);
    }

    /// <summary>The grid <see cref="Save(string, float[], int, int, int, ImageGridOptions?)"/> writes, as PNG bytes in memory (for a web response).</summary>
    /// <param name="pixels">N * height * width values in [0, 1].</param>
    /// <param name="height">The height of one image in pixels (28 for MNIST).</param>
    /// <param name="width">The width of one image in pixels (28 for MNIST).</param>
    /// <param name="columns">Images per row; the last row may be partly empty.</param>
    /// <param name="options">Scale, gap, titles and caption; defaults when null.</param>
    public static byte[] EncodePng(float[] pixels, int height, int width, int columns, ImageGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        using var bitmap = Render(pixels, height, width, columns, options ?? new ImageGridOptions());
        return PngFile.Encode(bitmap);
    }

    /// <summary>Writes the images of a tensor of shape [N, height * width] (or [N, 1, height, width], any N-first shape).</summary>
    public static void Save(string path, Tensor images, int height, int width, int columns, ImageGridOptions? options = null) =>
        Save(path, Pixels(images, height, width, nameof(images)), height, width, columns, options);

    /// <summary>
    /// Writes test digits beside their reconstructions: a row of <paramref name="columns"/> inputs titled "input",
    /// then the row of their reconstructions titled "reconstruction", and so on.
    /// </summary>
    /// <param name="inputs">N * height * width values in [0, 1].</param>
    /// <param name="reconstructions">The same number of values, image i reconstructing input i.</param>
    public static void SaveReconstructions(
        string path, float[] inputs, float[] reconstructions, int height, int width, int columns,
        int scale = 2, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(reconstructions);
        if (inputs.Length != reconstructions.Length)
            throw new ArgumentException(
                $"reconstructions must hold as many values as inputs ({inputs.Length}), but holds {reconstructions.Length}.",
                nameof(reconstructions));
        CheckSizes(height, width, columns);
        var options = new ImageGridOptions { Scale = scale, Caption = caption, RowTitles = ["input", "reconstruction"] };
        Save(path, Interleave(inputs, reconstructions, height * width, columns), height, width, columns, options);
    }

    /// <summary>The tensor form of <see cref="SaveReconstructions(string, float[], float[], int, int, int, int, string?)"/>.</summary>
    public static void SaveReconstructions(
        string path, Tensor inputs, Tensor reconstructions, int height, int width, int columns,
        int scale = 2, string? caption = null) =>
        SaveReconstructions(
            path, Pixels(inputs, height, width, nameof(inputs)), Pixels(reconstructions, height, width, nameof(reconstructions)),
            height, width, columns, scale, caption);

    /// <summary>
    /// Row 2k of the result is chunk k (of <paramref name="columns"/> images) of <paramref name="first"/>, row 2k + 1 the
    /// same chunk of <paramref name="second"/>. A short last chunk of inputs is followed by black tiles, so each
    /// reconstruction stays under its input.
    /// </summary>
    internal static float[] Interleave(float[] first, float[] second, int imageSize, int columns)
    {
        var count = first.Length / imageSize;
        var pairRows = (count + columns - 1) / columns;
        var rowSize = columns * imageSize;
        var result = new float[pairRows * 2 * rowSize];
        var end = 0;
        for (var pair = 0; pair < pairRows; pair++)
        {
            var start = pair * columns;
            var take = Math.Min(columns, count - start);
            Array.Copy(first, start * imageSize, result, 2 * pair * rowSize, take * imageSize);
            Array.Copy(second, start * imageSize, result, (2 * pair + 1) * rowSize, take * imageSize);
            end = (2 * pair + 1) * rowSize + take * imageSize;
        }
        return end == result.Length ? result : result[..end];
    }

    internal static SKBitmap Render(float[] pixels, int height, int width, int columns, ImageGridOptions options)
    {
        CheckSizes(height, width, columns);
        if (options.Scale < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Scale, "Scale must be at least 1.");
        if (options.Gap < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Gap, "Gap must not be negative.");
        var imageSize = height * width;
        if (pixels.Length == 0 || pixels.Length % imageSize != 0)
            throw new ArgumentException(
                $"pixels must hold a positive whole number of {height}x{width} images ({imageSize} values each), but holds {pixels.Length} values.",
                nameof(pixels));
        var firstNaN = Array.FindIndex(pixels, float.IsNaN);
        if (firstNaN >= 0)
            throw new ArgumentException($"pixels contains NaN (first at image {firstNaN / imageSize}, pixel {firstNaN % imageSize}).", nameof(pixels));

        var count = pixels.Length / imageSize;
        var rows = (count + columns - 1) / columns;
        int scale = options.Scale, gap = options.Gap;
        var titleBand = options.RowTitles is { Count: > 0 } ? Math.Max(0, options.TitleHeight) : 0;
        var captionBand = options.Caption is not null ? Math.Max(0, options.CaptionHeight) : 0;
        int tileWidth = width * scale, tileHeight = height * scale;
        var pictureWidth = columns * tileWidth + (columns + 1) * gap;
        var pictureHeight = captionBand + rows * (titleBand + tileHeight) + (rows + 1) * gap;

        // Tiles are written byte by byte rather than drawn, so every gray value lands exactly, with no filtering.
        var rgba = new byte[pictureWidth * pictureHeight * 4];
        Array.Fill(rgba, (byte)255);
        for (var i = 0; i < count; i++)
        {
            var left = gap + (i % columns) * (tileWidth + gap);
            var top = captionBand + gap + (i / columns) * (titleBand + tileHeight + gap) + titleBand;
            for (var y = 0; y < tileHeight; y++)
            {
                var rowStart = ((top + y) * pictureWidth + left) * 4;
                var sourceRow = i * imageSize + (y / scale) * width;
                for (var x = 0; x < tileWidth; x++)
                {
                    var gray = Gray(pixels[sourceRow + x / scale]);
                    var at = rowStart + x * 4;
                    rgba[at] = gray;
                    rgba[at + 1] = gray;
                    rgba[at + 2] = gray;
                    rgba[at + 3] = 255;
                }
            }
        }

        var bitmap = new SKBitmap(new SKImageInfo(pictureWidth, pictureHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        try
        {
            System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
            bitmap.NotifyPixelsChanged();
            using var canvas = new SKCanvas(bitmap);
            if (options.Caption is { } caption)
            {
                using var paint = Fonts.TextPaint(Math.Min(15f, captionBand * 0.62f), Palette.Text, SKTextAlign.Center);
                Fonts.FitWidth(paint, caption, pictureWidth - 2f * Math.Max(gap, 2));
                canvas.DrawText(caption, pictureWidth / 2f, captionBand * 0.72f, paint);
            }
            if (titleBand > 0)
            {
                using var paint = Fonts.TextPaint(Math.Min(12f, titleBand * 0.75f), Palette.Text);
                for (var row = 0; row < rows; row++)
                {
                    if (options.RowTitles![row % options.RowTitles.Count] is not { Length: > 0 } title) continue;
                    var bandTop = captionBand + gap + row * (titleBand + tileHeight + gap);
                    Fonts.FitWidth(paint, title, pictureWidth - 2f * gap);
                    canvas.DrawText(title, gap + 1f, bandTop + titleBand * 0.78f, paint);
                }
            }
            canvas.Flush();
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    internal static byte Gray(float value) => (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f);

    private static float[] Pixels(Tensor images, int height, int width, string name)
    {
        var values = TensorData.Floats(images, name);
        if (images.dim() < 1 || images.shape[0] * (long)height * width != images.numel())
            throw new ArgumentException(
                $"{name} must have shape [N, {height * width}] (N images of {height}x{width}), but has shape {TensorData.Shape(images)}.", name);
        return values;
    }

    private static void CheckSizes(int height, int width, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
    }
}
