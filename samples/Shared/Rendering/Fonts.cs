using SkiaSharp;

namespace Vae.Samples.Rendering;

/// <summary>
/// The typeface of every picture: DejaVu Sans, embedded in this assembly. A fresh Debian has no fonts, and the
/// SkiaSharp NoDependencies build does not ask fontconfig anyway, so a system font would draw no text at all;
/// the embedded one also renders the same on every machine.
/// </summary>
internal static class Fonts
{
    private const string ResourceName = "Vae.Samples.Rendering.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<SKTypeface> Sans = new(Load);

    public static SKTypeface Regular => Sans.Value;

    /// <summary>An antialiased text paint in the embedded typeface.</summary>
    public static SKPaint TextPaint(float size, SKColor color, SKTextAlign align = SKTextAlign.Left) => new()
    {
        Typeface = Regular,
        TextSize = size,
        Color = color,
        IsAntialias = true,
        TextAlign = align,
    };

    /// <summary>Shrinks <paramref name="paint"/>'s text size until <paramref name="text"/> fits in <paramref name="maxWidth"/>.</summary>
    public static void FitWidth(SKPaint paint, string text, float maxWidth, float minSize = 7f)
    {
        var width = paint.MeasureText(text);
        if (width <= maxWidth || width <= 0) return;
        paint.TextSize = Math.Max(minSize, paint.TextSize * maxWidth / width);
    }

    private static SKTypeface Load()
    {
        using var stream = typeof(Fonts).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded font resource '{ResourceName}' is missing from {typeof(Fonts).Assembly.GetName().Name}.");
        // SKData copies the bytes, so the typeface does not depend on the stream staying open.
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data)
            ?? throw new InvalidOperationException($"SkiaSharp could not read the embedded font '{ResourceName}'.");
    }
}
