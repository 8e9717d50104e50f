namespace Vae.Core.TimeSeries;

/// <summary>Upper tail probabilities of the standard normal distribution, in log form so that far tails do not underflow.</summary>
internal static class TailProbability
{
    /// <summary>-log10 P(Z &gt; z) for a standard normal Z.</summary>
    /// <remarks>
    /// Uses the Chebyshev fit of erfc in Numerical Recipes (relative error below 1.2e-7 everywhere), whose form
    /// t * exp(polynomial) gives the logarithm directly for any z.
    /// </remarks>
    public static double NegativeLog10UpperTail(double z)
    {
        if (double.IsNaN(z)) return 0;
        var x = z / Math.Sqrt(2);
        if (x < 0)
        {
            // P(Z > z) = 1 - 0.5 * erfc(-x), at least 0.5: no underflow to fear.
            var lower = 0.5 * Math.Exp(LogErfc(-x));
            return -Math.Log10(1 - lower);
        }
        // P(Z > z) = 0.5 * erfc(x).
        return -(Math.Log(0.5) + LogErfc(x)) / Math.Log(10);
    }

    private static double LogErfc(double x)
    {
        var t = 1.0 / (1.0 + (0.5 * x));
        var polynomial = -x * x - 1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806 + (t * (0.27886807
            + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277)))))))))))))))));
        return Math.Log(t) + polynomial;
    }
}
