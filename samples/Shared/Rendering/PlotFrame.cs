using SkiaSharp;

namespace Vae.Samples.Rendering;

/// <summary>The plot area of a chart, its mapping from data to pixels, and the axes, ticks and titles around it.</summary>
internal sealed class PlotFrame(SKRect area, Axis x, Axis y)
{
    private const float TickLength = 5f;
    private const float LabelSize = 12f;
    private const float AxisTitleSize = 13f;

    public SKRect Area => area;

    public float X(double value) => area.Left + (float)(x.Fraction(value) * area.Width);

    public float Y(double value) => area.Bottom - (float)(y.Fraction(value) * area.Height);

    /// <summary>Light grid lines at the ticks, drawn before the data so the data stays on top.</summary>
    public void DrawGrid(SKCanvas canvas)
    {
        using var line = new SKPaint { Color = Palette.GridLine, StrokeWidth = 1, IsAntialias = false, Style = SKPaintStyle.Stroke };
        foreach (var tick in x.Ticks) canvas.DrawLine(Snap(X(tick)), area.Top, Snap(X(tick)), area.Bottom, line);
        foreach (var tick in y.Ticks) canvas.DrawLine(area.Left, Snap(Y(tick)), area.Right, Snap(Y(tick)), line);
    }

    /// <summary>The frame, tick marks, tick labels and the two axis titles.</summary>
    public void DrawAxes(SKCanvas canvas, string xTitle, string yTitle)
    {
        using var frame = new SKPaint { Color = Palette.Text, StrokeWidth = 1, IsAntialias = false, Style = SKPaintStyle.Stroke };
        canvas.DrawRect(area, frame);

        using var xLabels = Fonts.TextPaint(LabelSize, Palette.Text, SKTextAlign.Center);
        foreach (var tick in x.Ticks)
        {
            var at = Snap(X(tick));
            canvas.DrawLine(at, area.Bottom, at, area.Bottom + TickLength, frame);
            canvas.DrawText(x.Label(tick), at, area.Bottom + TickLength + LabelSize + 2, xLabels);
        }

        using var yLabels = Fonts.TextPaint(LabelSize, Palette.Text, SKTextAlign.Right);
        var widestLabel = 0f;
        foreach (var tick in y.Ticks)
        {
            var at = Snap(Y(tick));
            canvas.DrawLine(area.Left - TickLength, at, area.Left, at, frame);
            var label = y.Label(tick);
            widestLabel = Math.Max(widestLabel, yLabels.MeasureText(label));
            canvas.DrawText(label, area.Left - TickLength - 3, at + LabelSize * 0.36f, yLabels);
        }

        using var titles = Fonts.TextPaint(AxisTitleSize, Palette.Text, SKTextAlign.Center);
        canvas.DrawText(xTitle, area.MidX, area.Bottom + TickLength + LabelSize + AxisTitleSize + 14, titles);

        // Rotated to read bottom-up, just left of the widest tick label.
        var titleX = area.Left - TickLength - 3 - widestLabel - 10;
        canvas.Save();
        canvas.RotateDegrees(-90, titleX, area.MidY);
        canvas.DrawText(yTitle, titleX, area.MidY, titles);
        canvas.Restore();
    }

    /// <summary>The chart title, centred on the picture.</summary>
    public static void DrawTitle(SKCanvas canvas, string title, int pictureWidth, float baseline)
    {
        using var paint = Fonts.TextPaint(17f, Palette.Text, SKTextAlign.Center);
        paint.FakeBoldText = false;
        Fonts.FitWidth(paint, title, pictureWidth - 20f);
        canvas.DrawText(title, pictureWidth / 2f, baseline, paint);
    }

    /// <summary>A 1-pixel line drawn through a pixel centre stays one crisp pixel wide.</summary>
    private static float Snap(float coordinate) => MathF.Floor(coordinate) + 0.5f;
}
