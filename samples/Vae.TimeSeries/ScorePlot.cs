using SkiaSharp;
using Vae.Core.TimeSeries;
using Vae.Samples.Rendering;

namespace Vae.TimeSeries;

/// <summary>
/// The series above (each value column, detections marked) and the calibrated score below (threshold dashed), on a
/// shared row axis, with the training part and the labelled anomaly windows shaded in both.
/// </summary>
internal static class ScorePlot
{
    public const int Width = 1200;
    public const int Height = 640;
    private static readonly SKColor WindowShade = new(0xFF, 0xD5, 0xD5);
    private static readonly SKColor TrainingShade = new(0xEE, 0xEE, 0xEE);
    private static readonly SKColor Detection = new(0xD6, 0x27, 0x28);

    public static void Save(string path, TimeSeriesTable table, IReadOnlyList<TimeSeriesScore> scores, double threshold,
        IReadOnlyList<(DateTime Start, DateTime End)> windows, string title)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(Palette.Background);
            PlotFrame.DrawTitle(canvas, $"{title}: VAE anomaly score (training part grey, labelled windows red)", Width, 28);
            var xAxis = Axis.Nice(0, Math.Max(1, table.Count - 1));
            var shaded = Shading(table, scores, windows);
            var finite = table.Rows.SelectMany(r => r).Where(double.IsFinite).ToArray();
            var top = new PlotFrame(new SKRect(84, 50, Width - 26, 360), xAxis, finite.Length > 0 ? Axis.Nice(finite.Min(), finite.Max(), padding: 0.04) : Axis.Nice(0, 1));
            var bottom = new PlotFrame(new SKRect(84, 420, Width - 26, Height - 60), xAxis, Axis.Nice(0, 1));
            foreach (var frame in new[] { top, bottom })
            {
                Shade(canvas, frame, shaded);
                frame.DrawGrid(canvas);
            }
            for (var c = 0; c < table.ColumnNames.Count; c++)
                Line(canvas, top, table.Rows.Select(r => r[c]).ToArray(), Palette.Digits[c % Palette.Digits.Count]);
            using (var dot = new SKPaint { Color = Detection, IsAntialias = true, Style = SKPaintStyle.Fill })
            {
                for (var i = 0; i < table.Count; i++)
                {
                    if (scores[i].IsAnomaly && double.IsFinite(table.Rows[i][0])) canvas.DrawCircle(top.X(i), top.Y(table.Rows[i][0]), 3.5f, dot);
                }
            }
            Line(canvas, bottom, scores.Select(s => s.IsTraining ? double.NaN : s.Score).ToArray(), Palette.TrainingLoss);
            using (var dash = new SKPaint { Color = Detection, StrokeWidth = 1.2f, Style = SKPaintStyle.Stroke, PathEffect = SKPathEffect.CreateDash([6, 4], 0) })
            {
                canvas.DrawLine(bottom.Area.Left, bottom.Y(threshold), bottom.Area.Right, bottom.Y(threshold), dash);
            }
            top.DrawAxes(canvas, "row", string.Join(", ", table.ColumnNames));
            bottom.DrawAxes(canvas, "row", "anomaly score");
            canvas.Flush();
        }
        PngFile.Write(bitmap, path);
    }

    private static (int First, int Last, SKColor Colour)[] Shading(TimeSeriesTable table, IReadOnlyList<TimeSeriesScore> scores, IReadOnlyList<(DateTime Start, DateTime End)> windows)
    {
        var spans = new List<(int, int, SKColor)>();
        var training = scores.Count(s => s.IsTraining);
        if (training > 0) spans.Add((0, training - 1, TrainingShade));
        foreach (var (start, end) in windows)
        {
            var first = -1;
            var last = -1;
            for (var i = 0; i < table.Count; i++)
            {
                if (table.Timestamps[i] < start || table.Timestamps[i] > end) continue;
                if (first < 0) first = i;
                last = i;
            }
            if (first >= 0) spans.Add((first, last, WindowShade));
        }
        return spans.ToArray();
    }

    private static void Shade(SKCanvas canvas, PlotFrame frame, IEnumerable<(int First, int Last, SKColor Colour)> spans)
    {
        foreach (var (first, last, colour) in spans)
        {
            using var fill = new SKPaint { Color = colour, Style = SKPaintStyle.Fill };
            canvas.DrawRect(new SKRect(frame.X(first), frame.Area.Top, Math.Max(frame.X(last), frame.X(first) + 1), frame.Area.Bottom), fill);
        }
    }

    private static void Line(SKCanvas canvas, PlotFrame frame, double[] values, SKColor colour)
    {
        using var line = new SKPaint { Color = colour, StrokeWidth = 1.1f, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round };
        using var path = new SKPath();
        var penDown = false;
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                penDown = false;
                continue;
            }
            var point = new SKPoint(frame.X(i), frame.Y(values[i]));
            if (penDown) path.LineTo(point);
            else path.MoveTo(point);
            penDown = true;
        }
        canvas.Save();
        canvas.ClipRect(frame.Area);
        canvas.DrawPath(path, line);
        canvas.Restore();
    }
}
