using System.Diagnostics;
using Vae.Core;
using Vae.Core.TimeSeries;

namespace Vae.Benchmarks;

/// <summary>
/// Online scoring with <see cref="TimeSeriesDetector.Observe(DateTime, ReadOnlySpan{double})"/> on one thread: a
/// detector with the default options trained on 750 points of a noisy daily sine, then a long stream of the same
/// signal (with a spike now and then), timed and its memory sampled per block of points, so that a drift in either
/// shows. Options: --points N (1,000,000), --columns N (1), --block N (100,000).
/// </summary>
internal static class TimeSeriesBenchmark
{
    public static void Run(string[] args)
    {
        var points = Option(args, "--points", 1_000_000);
        var columns = Option(args, "--columns", 1);
        var block = Option(args, "--block", 100_000);
        VaeRuntime.SetCpuThreads(1);
        var start = new DateTime(2024, 1, 1);
        var step = TimeSpan.FromMinutes(5);
        var random = new Random(1);
        double[] Point(long i) => Enumerable.Range(0, columns)
            .Select(c => (10 * Math.Sin((2 * Math.PI * i / 288) + c)) + 50 + random.NextDouble() + (i % 50_000 == 25_000 ? 30 : 0)).ToArray();

        const int training = 750;
        var timestamps = Enumerable.Range(0, training).Select(i => start + (i * step)).ToArray();
        var rows = Enumerable.Range(0, training).Select(i => Point(i)).ToArray();
        var watch = Stopwatch.StartNew();
        using var detector = TimeSeriesDetector.Train(timestamps, rows, new TimeSeriesDetectorOptions());
        Console.WriteLine($"timeseries: trained on {training} points x {columns} columns (window {detector.Options.WindowSize}, hidden {string.Join(",", detector.Options.HiddenSizes)}, latent {detector.Options.LatentSize}, {detector.Options.Epochs} epochs) in {watch.Elapsed.TotalSeconds:F2} s, 1 libtorch thread");

        var values = new double[columns];
        var anomalies = 0L;
        var rates = new List<double>();
        for (long done = 0; done < points;)
        {
            var count = Math.Min(block, points - done);
            watch.Restart();
            for (long i = 0; i < count; i++)
            {
                var n = training + done + i;
                for (var c = 0; c < columns; c++) values[c] = (10 * Math.Sin((2 * Math.PI * n / 288) + c)) + 50 + random.NextDouble() + (n % 50_000 == 25_000 ? 30 : 0);
                if (detector.Observe(start + (n * step), values).IsAnomaly) anomalies++;
            }
            var seconds = watch.Elapsed.TotalSeconds;
            done += count;
            rates.Add(count / seconds);
            using var process = Process.GetCurrentProcess();
            Console.WriteLine($"  {done,10:N0} points: {count / seconds,9:N0} points/s, managed heap {GC.GetTotalMemory(false) / (1024.0 * 1024):F1} MiB, working set {process.WorkingSet64 / (1024.0 * 1024):F0} MiB");
        }
        var sorted = rates.Order().ToArray();
        Console.WriteLine($"timeseries: {points:N0} points observed one at a time on one thread: {sorted[0]:N0} to {sorted[^1]:N0} points/s per block (median {sorted[sorted.Length / 2]:N0}); {anomalies} anomalies (a spike every 50,000 points)");
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
