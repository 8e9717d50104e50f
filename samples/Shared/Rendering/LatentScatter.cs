using SkiaSharp;
using static TorchSharp.torch;

namespace Vae.Samples.Rendering;

/// <summary>A scatter plot of 2-D latent codes (the posterior means of test digits), coloured by digit, with a legend.</summary>
public static class LatentScatter
{
    /// <summary>Writes the scatter plot as a PNG (atomically; its folder is created if missing).</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="points">N latent codes as [z1, z2] pairs (shape [N, 2], row-major). Non-finite codes are left out.</param>
    /// <param name="labels">N digit labels, each 0-9.</param>
    /// <param name="width">Picture width in pixels.</param>
    /// <param name="height">Picture height in pixels.</param>
    /// <param name="title">The title above the plot.</param>
    public static void Save(
        string path, float[] points, int[] labels, int width = 760, int height = 680,
        string title = "Latent space: posterior means of test digits")
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(title);
        if (points.Length != labels.Length * 2)
            throw new ArgumentException(
                $"points must hold two values (z1, z2) per label: {labels.Length} labels need {labels.Length * 2} values, but points holds {points.Length}.",
                nameof(points));
        var wrong = Array.FindIndex(labels, label => label is < 0 or > 9);
        if (wrong >= 0) throw new ArgumentException($"labels must be digits 0-9, but labels[{wrong}] is {labels[wrong]}.", nameof(labels));
        if (width < 240 || height < 200)
            throw new ArgumentOutOfRangeException(nameof(width), $"The scatter plot needs at least 240x200 pixels, but was asked for {width}x{height}.");

        using var bitmap = Render(points, labels, width, height, title);
        PngFile.Write(bitmap, path);
    }

    /// <summary>The tensor form: <paramref name="means"/> of shape [N, 2], <paramref name="labels"/> integer of shape [N].</summary>
    public static void Save(
        string path, Tensor means, Tensor labels, int width = 760, int height = 680,
        string title = "Latent space: posterior means of test digits")
    {
        var points = TensorData.Floats(means, nameof(means));
        if (means.dim() != 2 || means.shape[1] != 2)
            throw new ArgumentException($"means must have shape [N, 2] (2-D latent codes), but has shape {TensorData.Shape(means)}.", nameof(means));
        Save(path, points, TensorData.Ints(labels, nameof(labels)), width, height, title);
    }

    private static SKBitmap Render(float[] points, int[] labels, int width, int height, string title)
    {
        double minX = double.PositiveInfinity, maxX = double.NegativeInfinity, minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
        for (var i = 0; i < labels.Length; i++)
        {
            float px = points[2 * i], py = points[2 * i + 1];
            if (!float.IsFinite(px) || !float.IsFinite(py)) continue;
            (minX, maxX, minY, maxY) = (Math.Min(minX, px), Math.Max(maxX, px), Math.Min(minY, py), Math.Max(maxY, py));
        }

        var area = new SKRect(72, 44, width - 96, height - 58);
        var frame = new PlotFrame(area, Axis.Nice(minX, maxX, 7, padding: 0.03), Axis.Nice(minY, maxY, 7, padding: 0.03));

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        try
        {
            Draw(bitmap, points, labels, title, frame, area);
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    private static void Draw(SKBitmap bitmap, float[] points, int[] labels, string title, PlotFrame frame, SKRect area)
    {
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(Palette.Background);
        PlotFrame.DrawTitle(canvas, title, bitmap.Width, 28);
        frame.DrawGrid(canvas);

        // Many points overlap, so small translucent dots show density; few points can afford bigger, bolder ones.
        var dense = labels.Length > 2000;
        var radius = dense ? 1.7f : 3f;
        var alpha = (byte)(dense ? 150 : 210);
        var dots = Palette.Digits.Select(colour => new SKPaint { Color = colour.WithAlpha(alpha), IsAntialias = true }).ToArray();
        try
        {
            canvas.Save();
            canvas.ClipRect(area);
            for (var i = 0; i < labels.Length; i++)
            {
                float px = points[2 * i], py = points[2 * i + 1];
                if (!float.IsFinite(px) || !float.IsFinite(py)) continue;
                canvas.DrawCircle(frame.X(px), frame.Y(py), radius, dots[labels[i]]);
            }
            canvas.Restore();
        }
        finally
        {
            foreach (var dot in dots) dot.Dispose();
        }

        frame.DrawAxes(canvas, "z₁", "z₂");
        DrawLegend(canvas, area);
        canvas.Flush();
    }

    private static void DrawLegend(SKCanvas canvas, SKRect area)
    {
        var left = area.Right + 18;
        var top = area.Top + 4;
        const float rowHeight = 21f;
        using var heading = Fonts.TextPaint(13f, Palette.Text);
        canvas.DrawText("digit", left, top + 12, heading);
        using var label = Fonts.TextPaint(13f, Palette.Text);
        for (var digit = 0; digit < 10; digit++)
        {
            var centreY = top + 22 + rowHeight * digit + rowHeight / 2;
            using var swatch = new SKPaint { Color = Palette.Digits[digit], IsAntialias = true };
            canvas.DrawCircle(left + 6, centreY, 5.5f, swatch);
            canvas.DrawText(digit.ToString(System.Globalization.CultureInfo.InvariantCulture), left + 20, centreY + 4.5f, label);
        }
    }
}
