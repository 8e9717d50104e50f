namespace Vae.TimeSeries.Tests;

/// <summary>Small seeded series for the detector's tests: a daily-like sine with noise, every five minutes.</summary>
internal static class SyntheticSeries
{
    public static readonly DateTime Start = new(2024, 1, 1);
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    public static DateTime[] Timestamps(int count) => Enumerable.Range(0, count).Select(i => Start + (i * Step)).ToArray();

    /// <summary>Rows of <paramref name="columns"/> values: phase-shifted sines of period 48 plus Gaussian-like noise.</summary>
    public static double[][] Rows(int count, int columns = 1, int seed = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(i => Enumerable.Range(0, columns).Select(c => (10 * Math.Sin((2 * Math.PI * i / 48) + c)) + 50 + (random.NextDouble() - 0.5)).ToArray())
            .ToArray();
    }
}
