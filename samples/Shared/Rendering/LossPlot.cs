using SkiaSharp;

namespace Vae.Samples.Rendering;

/// <summary>
/// A line chart of the training and test loss (negative ELBO, nats per image) per epoch. Epoch k is entry k - 1
/// of each list. Lower is better, so a falling line is a model that learns.
/// </summary>
public static class LossPlot
{
    /// <summary>Markers on every point up to this many epochs; beyond it they would hide the line.</summary>
    private const int MaxEpochsWithMarkers = 40;

    /// <summary>Writes the chart as a PNG (atomically; its folder is created if missing).</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="trainingLoss">The mean training loss of each epoch; at least one. Non-finite values leave a gap.</param>
    /// <param name="testLoss">The test loss of each epoch, or null when there is none; may be shorter than the training list.</param>
    /// <param name="width">Picture width in pixels.</param>
    /// <param name="height">Picture height in pixels.</param>
    /// <param name="title">The title above the chart.</param>
    public static void Save(
        string path, IReadOnlyList<double> trainingLoss, IReadOnlyList<double>? testLoss = null,
        int width = 800, int height = 500, string title = "Training and test loss per epoch")
    {
        ArgumentNullException.ThrowIfNull(trainingLoss);
        ArgumentNullException.ThrowIfNull(title);
        if (trainingLoss.Count == 0) throw new ArgumentException("trainingLoss must hold at least one epoch.", nameof(trainingLoss));
        if (width < 300 || height < 220)
            throw new ArgumentOutOfRangeException(nameof(width), $"The loss plot needs at least 300x220 pixels, but was asked for {width}x{height}.");

        using var bitmap = Render(trainingLoss, testLoss ?? [], width, height, title);
        PngFile.Write(bitmap, path);
    }

    private static SKBitmap Render(IReadOnlyList<double> training, IReadOnlyList<double> test, int width, int height, string title)
    {
        var finite = training.Concat(test).Where(double.IsFinite).ToList();
        var yAxis = finite.Count > 0 ? Axis.Nice(finite.Min(), finite.Max(), padding: 0.04) : Axis.Nice(0, 1);
        var epochs = Math.Max(training.Count, test.Count);
        var area = new SKRect(84, 46, width - 26, height - 96);
        var frame = new PlotFrame(area, Axis.Epochs(epochs), yAxis);
        var markers = epochs <= MaxEpochsWithMarkers;

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        try
        {
            using var canvas = new SKCanvas(bitmap);
            canvas.Clear(Palette.Background);
            PlotFrame.DrawTitle(canvas, title, width, 28);
            frame.DrawGrid(canvas);

            canvas.Save();
            canvas.ClipRect(area);
            DrawSeries(canvas, frame, training, Palette.TrainingLoss, markers);
            DrawSeries(canvas, frame, test, Palette.TestLoss, markers);
            canvas.Restore();

            frame.DrawAxes(canvas, "epoch", "loss (nats per image)");
            DrawLegend(canvas, width, height - 18, test.Count > 0, markers);
            canvas.Flush();
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    private static void DrawSeries(SKCanvas canvas, PlotFrame frame, IReadOnlyList<double> losses, SKColor colour, bool markers)
    {
        using var line = new SKPaint
        {
            Color = colour, StrokeWidth = 2.2f, IsAntialias = true, Style = SKPaintStyle.Stroke,
            StrokeJoin = SKStrokeJoin.Round, StrokeCap = SKStrokeCap.Round,
        };
        using var dot = new SKPaint { Color = colour, IsAntialias = true, Style = SKPaintStyle.Fill };
        using var path = new SKPath();
        var penDown = false;
        for (var i = 0; i < losses.Count; i++)
        {
            if (!double.IsFinite(losses[i]))
            {
                penDown = false; // a diverged epoch breaks the line instead of dragging it off the chart
                continue;
            }
            var point = new SKPoint(frame.X(i + 1), frame.Y(losses[i]));
            if (penDown) path.LineTo(point);
            else path.MoveTo(point);
            penDown = true;
        }
        canvas.DrawPath(path, line);

        for (var i = 0; i < losses.Count; i++)
        {
            if (!double.IsFinite(losses[i])) continue;
            // A lone point (one epoch, or one between gaps) has no line, so it always gets a marker.
            var lone = (i == 0 || !double.IsFinite(losses[i - 1])) && (i == losses.Count - 1 || !double.IsFinite(losses[i + 1]));
            if (markers || lone) canvas.DrawCircle(frame.X(i + 1), frame.Y(losses[i]), 3.8f, dot);
        }
    }

    /// <summary>A one-line legend centred under the x-axis title, outside the plot so it never covers data.</summary>
    private static void DrawLegend(SKCanvas canvas, int width, float baseline, bool withTest, bool markers)
    {
        using var text = Fonts.TextPaint(13f, Palette.Text);
        var entries = withTest
            ? new[] { ("training", Palette.TrainingLoss), ("test", Palette.TestLoss) }
            : [("training", Palette.TrainingLoss)];
        const float swatch = 26f, afterSwatch = 7f, betweenEntries = 26f;
        var total = entries.Sum(entry => swatch + afterSwatch + text.MeasureText(entry.Item1)) + betweenEntries * (entries.Length - 1);
        var x = (width - total) / 2;
        var middle = baseline - 4.5f;
        foreach (var (name, colour) in entries)
        {
            using var line = new SKPaint { Color = colour, StrokeWidth = 2.2f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var dot = new SKPaint { Color = colour, IsAntialias = true };
            canvas.DrawLine(x, middle, x + swatch, middle, line);
            if (markers) canvas.DrawCircle(x + swatch / 2, middle, 3.8f, dot);
            canvas.DrawText(name, x + swatch + afterSwatch, baseline, text);
            x += swatch + afterSwatch + text.MeasureText(name) + betweenEntries;
        }
    }
}
