using SkiaSharp;
using Vae.Core.Recommendation;
using Vae.Samples.Rendering;

namespace Vae.Recommendation;

/// <summary>
/// Two charts above each other sharing the epoch axis: validation NDCG@100 (higher is better; the kept epoch is
/// marked) and the training loss (the annealed negative ELBO per user).
/// </summary>
internal static class ValidationPlot
{
    public const int Width = 800;
    public const int Height = 720;

    /// <summary>Writes the PNG atomically; its folder is created if missing.</summary>
    /// <exception cref="ArgumentException">No epochs.</exception>
    public static void Save(string path, IReadOnlyList<MultVaeEpoch> epochs)
    {
        if (epochs.Count == 0) throw new ArgumentException("The plot needs at least one epoch.", nameof(epochs));
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(Palette.Background);
            PlotFrame.DrawTitle(canvas, "Mult-VAE: validation NDCG@100 and training loss per epoch", Width, 28);
            var ndcg = epochs.Select(e => e.ValidationNdcg ?? double.NaN).ToArray();
            var loss = epochs.Select(e => e.Loss).ToArray();
            var best = epochs.FirstOrDefault(e => e.IsBest && e.ValidationNdcg is not null && e.Epoch == epochs.Where(x => x.IsBest).Max(x => x.Epoch));
            Panel(canvas, new SKRect(84, 50, Width - 26, 330), ndcg, "validation NDCG@100", Palette.TestLoss, best?.Epoch);
            Panel(canvas, new SKRect(84, 400, Width - 26, Height - 70), loss, "training loss (nats per user)", Palette.TrainingLoss, null);
            canvas.Flush();
        }
        PngFile.Write(bitmap, path);
    }

    private static void Panel(SKCanvas canvas, SKRect area, double[] values, string title, SKColor colour, int? marked)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        var yAxis = finite.Length > 0 ? Axis.Nice(finite.Min(), finite.Max(), padding: 0.04) : Axis.Nice(0, 1);
        var frame = new PlotFrame(area, Axis.Epochs(values.Length), yAxis);
        frame.DrawGrid(canvas);
        using var line = new SKPaint { Color = colour, StrokeWidth = 2.2f, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round };
        using var dot = new SKPaint { Color = colour, IsAntialias = true, Style = SKPaintStyle.Fill };
        using var path = new SKPath();
        var penDown = false;
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                penDown = false;
                continue;
            }
            var point = new SKPoint(frame.X(i + 1), frame.Y(values[i]));
            if (penDown) path.LineTo(point);
            else path.MoveTo(point);
            penDown = true;
            if (values.Length <= 40) canvas.DrawCircle(point, 3.5f, dot);
        }
        canvas.Save();
        canvas.ClipRect(area);
        canvas.DrawPath(path, line);
        if (marked is { } epoch && double.IsFinite(values[epoch - 1]))
        {
            using var ring = new SKPaint { Color = Palette.Text, StrokeWidth = 2f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            canvas.DrawCircle(frame.X(epoch), frame.Y(values[epoch - 1]), 7f, ring);
        }
        canvas.Restore();
        frame.DrawAxes(canvas, "epoch", title);
    }
}
