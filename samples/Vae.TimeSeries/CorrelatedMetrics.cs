using System.Globalization;
using System.Text;

namespace Vae.TimeSeries;

/// <summary>
/// A generated multivariate series with anomalies of known timing that no column shows on its own: four metrics
/// every five minutes driven by two shared factors (a daily cycle and a slow AR(1) drift) with their own loadings
/// and noise. In each anomaly one metric's drift decouples from the shared one for 48 points: it blends into the
/// shared drift of 1,000 points earlier, a drift of the same kind (continuous, within the metric's usual range), so
/// the metric's own history looks plausible while its relation to the other metrics breaks.
/// </summary>
internal sealed class CorrelatedMetrics
{
    public const int Columns = 4;
    public const int EventLength = 48;
    private const int Ramp = 8;
    private const int Lag = 1000;
    private static readonly double[] DailyLoading = [2, 2, 1, -1];
    private static readonly double[] DriftLoading = [1, -1, 0.5, 1];

    private CorrelatedMetrics(DateTime[] timestamps, double[][] rows, bool[] labels, (int Start, int Column)[] events)
    {
        Timestamps = timestamps;
        Rows = rows;
        Labels = labels;
        Events = events;
    }

    public DateTime[] Timestamps { get; }
    public double[][] Rows { get; }
    public bool[] Labels { get; }
    public (int Start, int Column)[] Events { get; }

    public static CorrelatedMetrics Generate(int count = 6000, int eventCount = 10, int firstEvent = 2000, int seed = 7)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        const double phi = 0.98;
        var innovation = Math.Sqrt(1 - (phi * phi));
        var drift = new double[count];
        for (var t = 1; t < count; t++) drift[t] = (phi * drift[t - 1]) + (innovation * Normal());

        var spacing = (count - firstEvent - EventLength) / eventCount;
        var events = Enumerable.Range(0, eventCount).Select(e => (Start: firstEvent + (e * spacing) + random.Next(spacing - EventLength), Column: e % Columns)).ToArray();
        var start = new DateTime(2024, 1, 1);
        var timestamps = Enumerable.Range(0, count).Select(t => start.AddMinutes(5 * t)).ToArray();
        var rows = new double[count][];
        var labels = new bool[count];
        for (var t = 0; t < count; t++)
        {
            var daily = Math.Sin(2 * Math.PI * t / 288);
            rows[t] = Enumerable.Range(0, Columns).Select(c => (DailyLoading[c] * daily) + (DriftLoading[c] * drift[t]) + (0.05 * Normal())).ToArray();
        }
        foreach (var (first, column) in events)
        {
            // The metric's drift blends (over Ramp points at each end) into the shared drift of Lag points earlier:
            // a drift of the same kind, continuous, but no longer the one the other metrics follow.
            for (var t = first; t < first + EventLength; t++)
            {
                var weight = Math.Min(1.0, Math.Min(t - first + 1, first + EventLength - t) / (double)Ramp);
                rows[t][column] += DriftLoading[column] * weight * (drift[t - Lag] - drift[t]);
                labels[t] = true;
            }
        }
        return new CorrelatedMetrics(timestamps, rows, labels, events);
    }

    public void Write(string path)
    {
        var text = new StringBuilder("timestamp,m0,m1,m2,m3,label\n");
        for (var t = 0; t < Rows.Length; t++)
        {
            text.Append(Timestamps[t].ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            foreach (var v in Rows[t]) text.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
            text.Append(',').Append(Labels[t] ? 1 : 0).Append('\n');
        }
        Vae.Core.AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
