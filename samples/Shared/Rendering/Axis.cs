using System.Globalization;

namespace Vae.Samples.Rendering;

/// <summary>One axis of a chart: the data range it shows and where its labelled ticks go.</summary>
internal sealed record Axis(double Min, double Max, IReadOnlyList<double> Ticks, int Decimals)
{
    /// <summary>
    /// A range widened to round numbers around [low, high], with about <paramref name="targetTicks"/> ticks at 1, 2 or
    /// 5 x 10^k steps. <paramref name="padding"/> (a fraction of the data's span) first widens the data range, so a
    /// point that falls just under a round bound is not drawn on the frame.
    /// </summary>
    public static Axis Nice(double low, double high, int targetTicks = 6, double padding = 0)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high)) (low, high) = (0, 1);
        if (high < low) (low, high) = (high, low);
        var margin = (high - low) * padding;
        (low, high) = (low - margin, high + margin);
        if (high - low <= 1e-9 * Math.Max(1, Math.Abs(high)))
        {
            // A flat series still needs a visible range around it.
            var pad = Math.Max(Math.Abs(low) * 0.05, 0.5);
            (low, high) = (low - pad, high + pad);
        }
        var step = NiceStep((high - low) / Math.Max(1, targetTicks - 1));
        var min = Math.Floor(low / step) * step;
        var max = Math.Ceiling(high / step) * step;
        return new Axis(min, max, TicksOf(min, max, step), DecimalsFor(step));
    }

    /// <summary>Epochs 1..count, padded half an epoch (or more) each side so the end points are not on the frame.</summary>
    public static Axis Epochs(int count)
    {
        count = Math.Max(1, count);
        var pad = Math.Max(0.5, count * 0.03);
        var step = Math.Max(1, NiceStep(count / 8.0));
        var ticks = new List<double>();
        for (var epoch = step; epoch <= count + 1e-9; epoch += step) ticks.Add(epoch);
        // Epoch 1 is where every run starts, worth a label when it is not crowded by the first step.
        if (step >= 5) ticks.Insert(0, 1);
        return new Axis(1 - pad, count + pad, ticks, 0);
    }

    public string Label(double value)
    {
        if (value == 0) value = 0; // no "-0"
        return value.ToString("F" + Decimals, CultureInfo.InvariantCulture);
    }

    /// <summary>Where <paramref name="value"/> falls between Min (0) and Max (1).</summary>
    public double Fraction(double value) => (value - Min) / (Max - Min);

    private static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough)) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var fraction = rough / magnitude;
        var nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
        return nice * magnitude;
    }

    private static List<double> TicksOf(double min, double max, double step)
    {
        var ticks = new List<double>();
        var count = (int)Math.Round((max - min) / step);
        for (var i = 0; i <= count; i++) ticks.Add(Math.Round((min + i * step) / step) * step);
        return ticks;
    }

    private static int DecimalsFor(double step) => step >= 1 ? 0 : (int)Math.Ceiling(-Math.Log10(step) - 1e-9);
}
