using SkiaSharp;

namespace Vae.Samples.Rendering;

/// <summary>
/// Two overlaid histograms of anomaly scores, normal rows and anomalous rows, on shared bins, with the detection
/// threshold as a vertical line: how far apart the two groups lie and where the threshold cuts them.
/// </summary>
public static class ScoreHistogram
{
    /// <summary>Writes the chart as a PNG (atomically; its folder is created if missing).</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="normalScores">Scores of the normal rows; non-finite ones are left out.</param>
    /// <param name="anomalousScores">Scores of the anomalous rows; non-finite ones are left out.</param>
    /// <param name="threshold">The threshold, drawn if finite.</param>
    /// <param name="title">The title above the chart.</param>
    /// <param name="bins">The number of bins between the lowest and the highest score.</param>
    /// <param name="width">Picture width in pixels.</param>
    /// <param name="height">Picture height in pixels.</param>
    public static void Save(string path, IReadOnlyList<double> normalScores, IReadOnlyList<double> anomalousScores, double threshold,
        string title = "Anomaly scores", int bins = 40, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(normalScores);
        ArgumentNullException.ThrowIfNull(anomalousScores);
        ArgumentNullException.ThrowIfNull(title);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        if (width < 300 || height < 220)
            throw new ArgumentOutOfRangeException(nameof(width), $"The histogram needs at least 300x220 pixels, but was asked for {width}x{height}.");
        var normal = normalScores.Where(double.IsFinite).ToArray();
        var anomalous = anomalousScores.Where(double.IsFinite).ToArray();
        if (normal.Length + anomalous.Length == 0) throw new ArgumentException("There is no finite score to draw.", nameof(normalScores));

        using var bitmap = Render(normal, anomalous, threshold, title, bins, width, height);
        PngFile.Write(bitmap, path);
    }

    private static SKBitmap Render(double[] normal, double[] anomalous, double threshold, string title, int bins, int width, int height)
    {
        var all = normal.Concat(anomalous).Order().ToArray();
        var low = all[0];
        // A few extreme scores would squeeze everything else into one bin: the axis ends at the 97.5th percentile
        // (or the threshold, if higher) and the last bin collects what lies beyond, as the chart says.
        var high = all[(int)Math.Floor((all.Length - 1) * 0.975)];
        var beyond = all.Count(score => score > high);
        if (double.IsFinite(threshold)) (low, high) = (Math.Min(low, threshold), Math.Max(high, threshold));
        if (high <= low) high = low + 1;
        beyond = all.Count(score => score > high);
        var binWidth = (high - low) / bins;
        var normalCounts = Count(normal, low, binWidth, bins);
        var anomalousCounts = Count(anomalous, low, binWidth, bins);
        var most = Math.Max(1, Math.Max(normalCounts.Max(), anomalousCounts.Max()));

        var area = new SKRect(84, 46, width - 26, height - 96);
        var frame = new PlotFrame(area, Axis.Nice(low, high), Axis.Nice(0, most));
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        try
        {
            using var canvas = new SKCanvas(bitmap);
            canvas.Clear(Palette.Background);
            PlotFrame.DrawTitle(canvas, title, width, 28);
            frame.DrawGrid(canvas);
            canvas.Save();
            canvas.ClipRect(area);
            // Translucent bars, so overlapping bins show both groups.
            DrawBars(canvas, frame, normalCounts, low, binWidth, Palette.TrainingLoss.WithAlpha(150));
            DrawBars(canvas, frame, anomalousCounts, low, binWidth, Palette.TestLoss.WithAlpha(150));
            if (double.IsFinite(threshold))
            {
                using var line = new SKPaint { Color = Palette.Text, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke, PathEffect = SKPathEffect.CreateDash([7, 5], 0) };
                canvas.DrawLine(frame.X(threshold), area.Top, frame.X(threshold), area.Bottom, line);
            }
            canvas.Restore();
            if (beyond > 0)
            {
                using var note = Fonts.TextPaint(12f, Palette.Text, SKTextAlign.Right);
                canvas.DrawText($"{beyond} score(s) above {high:G4} counted in the last bin", area.Right - 6, area.Top + 16, note);
            }
            frame.DrawAxes(canvas, "score (negative ELBO, nats)", "rows");
            DrawLegend(canvas, width, height - 18, normal.Length, anomalous.Length, double.IsFinite(threshold));
            canvas.Flush();
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    private static int[] Count(double[] scores, double low, double binWidth, int bins)
    {
        var counts = new int[bins];
        foreach (var score in scores) counts[Math.Clamp((int)((score - low) / binWidth), 0, bins - 1)]++;
        return counts;
    }

    private static void DrawBars(SKCanvas canvas, PlotFrame frame, int[] counts, double low, double binWidth, SKColor colour)
    {
        using var fill = new SKPaint { Color = colour, IsAntialias = false, Style = SKPaintStyle.Fill };
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0) continue;
            canvas.DrawRect(SKRect.Create(frame.X(low + i * binWidth), frame.Y(counts[i]),
                frame.X(low + (i + 1) * binWidth) - frame.X(low + i * binWidth), frame.Y(0) - frame.Y(counts[i])), fill);
        }
    }

    private static void DrawLegend(SKCanvas canvas, int width, float baseline, int normal, int anomalous, bool withThreshold)
    {
        using var text = Fonts.TextPaint(13f, Palette.Text);
        var entries = new List<(string Name, SKColor Colour, bool Dashed)>
        {
            ($"normal ({normal})", Palette.TrainingLoss.WithAlpha(150), false),
            ($"anomalous ({anomalous})", Palette.TestLoss.WithAlpha(150), false),
        };
        if (withThreshold) entries.Add(("threshold", Palette.Text, true));
        const float swatch = 22f, afterSwatch = 7f, betweenEntries = 26f;
        var total = entries.Sum(e => swatch + afterSwatch + text.MeasureText(e.Name)) + betweenEntries * (entries.Count - 1);
        var x = (width - total) / 2;
        foreach (var (name, colour, dashed) in entries)
        {
            if (dashed)
            {
                using var line = new SKPaint { Color = colour, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke, PathEffect = SKPathEffect.CreateDash([7, 5], 0) };
                canvas.DrawLine(x, baseline - 4.5f, x + swatch, baseline - 4.5f, line);
            }
            else
            {
                using var fill = new SKPaint { Color = colour, Style = SKPaintStyle.Fill };
                canvas.DrawRect(SKRect.Create(x, baseline - 11, swatch, 12), fill);
            }
            canvas.DrawText(name, x + swatch + afterSwatch, baseline, text);
            x += swatch + afterSwatch + text.MeasureText(name) + betweenEntries;
        }
    }
}
