using SkiaSharp;

namespace Vae.Samples.Rendering;

/// <summary>The colours shared by all pictures, so they read as one set.</summary>
public static class Palette
{
    /// <summary>Text and axes.</summary>
    public static readonly SKColor Text = new(0x22, 0x22, 0x22);

    /// <summary>Light grid lines behind plotted data.</summary>
    public static readonly SKColor GridLine = new(0xE4, 0xE4, 0xE4);

    /// <summary>The background of charts.</summary>
    public static readonly SKColor Background = SKColors.White;

    /// <summary>
    /// One colour per digit 0-9: matplotlib's "tab10" qualitative palette, chosen to stay distinguishable for
    /// most forms of colour blindness.
    /// </summary>
    public static readonly IReadOnlyList<SKColor> Digits =
    [
        new(0x1F, 0x77, 0xB4), new(0xFF, 0x7F, 0x0E), new(0x2C, 0xA0, 0x2C), new(0xD6, 0x27, 0x28), new(0x94, 0x67, 0xBD),
        new(0x8C, 0x56, 0x4B), new(0xE3, 0x77, 0xC2), new(0x7F, 0x7F, 0x7F), new(0xBC, 0xBD, 0x22), new(0x17, 0xBE, 0xCF),
    ];

    /// <summary>The training-loss line of <see cref="LossPlot"/>.</summary>
    public static readonly SKColor TrainingLoss = new(0x1F, 0x77, 0xB4);

    /// <summary>The test-loss line of <see cref="LossPlot"/>.</summary>
    public static readonly SKColor TestLoss = new(0xFF, 0x7F, 0x0E);
}
