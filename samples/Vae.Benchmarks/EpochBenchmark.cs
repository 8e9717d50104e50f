using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>Training throughput and memory over whole epochs of the default 784-400-20 model (or, with --conv, the default convolutional model), batch 128, Adam.</summary>
internal static class EpochBenchmark
{
    public static void Run(int epochs, int threads, bool fused, bool gaussian, BusyNeighbours neighbours, bool convolutional = false, bool adaptThreads = true)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        Console.WriteLine($"training {train.Count:N0} digits, {(convolutional ? "convolutional" : "784-400-20")}, batch 128, Adam 1e-3, {epochs} epochs, " +
                          $"{(threads > 0 ? threads : VaeRuntime.CpuThreads)} libtorch thread(s), {Environment.ProcessorCount} cores, " +
                          $"{neighbours.Count} busy neighbour process(es)");
        Console.WriteLine($"{"epoch",5} {"images/s",10} {"live tensors",13} {"working set MiB",16} {"peak MiB",9} {"alloc KiB/step",15}");

        var process = Process.GetCurrentProcess();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var rates = new List<double>();
        var workingSets = new List<double>();
        var peaks = new List<double>();
        var stepsPerEpoch = (int)Math.Ceiling(train.Count / 128.0);
        var progress = new Reporter(summary =>
        {
            process.Refresh();
            var now = GC.GetAllocatedBytesForCurrentThread();
            var perStep = (now - allocated) / 1024.0 / stepsPerEpoch;
            allocated = now;
            rates.Add(summary.ImagesPerSecond);
            workingSets.Add(process.WorkingSet64 / 1048576.0);
            peaks.Add(process.PeakWorkingSet64 / 1048576.0);
            Console.WriteLine($"{summary.Epoch,5} {summary.ImagesPerSecond,10:N0} {summary.LiveTensors,13} {workingSets[^1],16:F0} {peaks[^1],9:F0} {perStep,15:F1}");
        });

        torch.manual_seed(1);
        // --gaussian: a Gaussian likelihood with learned per-pixel variances instead of the Bernoulli one.
        var options = gaussian
            ? new VaeOptions { Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true, GaussianVariance = 0.1 }
            : new VaeOptions();
        if (convolutional) options = options with { Architecture = VaeArchitecture.Convolutional };
        using var model = new VariationalAutoencoder(options);
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = epochs, Seed = 1, UseFusedCpuKernels = fused, AdaptCpuThreads = adaptThreads });
        Console.WriteLine(trainer.UsesFusedCpuKernels ? "step: fused CPU kernels" : "step: autograd");
        var clock = Stopwatch.StartNew();
        trainer.Fit(train.Images, null, progress);
        process.Refresh();

        var steady = rates.Skip(1).DefaultIfEmpty(rates[0]).Order().ToArray();
        Console.WriteLine($"median images/s (epochs 2..{epochs}): {steady[steady.Length / 2]:N0}");
        Console.WriteLine($"whole run: {epochs * train.Count / clock.Elapsed.TotalSeconds:N0} images/s, {clock.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"peak working set: {process.PeakWorkingSet64 / 1048576.0:F0} MiB");
        if (workingSets.Count > 2)
        {
            Console.WriteLine($"working set epoch 2 -> {epochs}: {workingSets[1]:F0} -> {workingSets[^1]:F0} MiB ({(workingSets[^1] / workingSets[1] - 1) * 100:+0.0;-0.0}%)");
            Console.WriteLine($"peak working set after epoch 2 -> {epochs}: {peaks[1]:F0} -> {peaks[^1]:F0} MiB ({(peaks[^1] / peaks[1] - 1) * 100:+0.0;-0.0}%)");
        }
    }

    public static void SweepThreads(int epochs, BusyNeighbours neighbours)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        Console.WriteLine($"{neighbours.Count} busy neighbour process(es)");
        Console.WriteLine($"{"threads",7} {"median images/s",16}");
        for (var threads = 1; threads <= Environment.ProcessorCount; threads++)
            Console.WriteLine($"{threads,7} {MedianRate(train.Images, epochs, threads),16:N0}");
    }

    /// <summary>
    /// The default thread count against one thread, idle and beside 1 .. <paramref name="maxLoad"/> busy processes.
    /// At each load the two train one epoch at a time, in turns, <paramref name="pairs"/> times: on a shared machine
    /// whatever else runs changes from second to second, and taking turns puts it on both alike; each pair gives a ratio.
    /// </summary>
    public static void UnderLoad(int pairs, int maxLoad, bool ownSessions)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        var many = Environment.ProcessorCount;
        Console.WriteLine($"training {train.Count:N0} digits, 784-400-20, batch 128, one epoch per measurement; " +
                          $"{many} logical processors; {pairs} pairs per load; neighbours in {(ownSessions ? "their own sessions" : "this session")}");
        // Compiling every kernel first, so that no measurement pays for it.
        foreach (var threads in new[] { many, 1 }) EpochRate(train.Images, threads);
        Console.WriteLine($"{"load",5} {"pair",5} {$"{many} threads",10} {"1 thread",10} {"ratio",7}");
        var summary = new List<string>();
        for (var load = 0; load <= maxLoad; load++)
        {
            using var neighbours = new BusyNeighbours(load, ownSessions);
            var (rates, single, ratios) = (new List<double>(), new List<double>(), new List<double>());
            for (var pair = 1; pair <= pairs; pair++)
            {
                // Which goes first alternates too, so neither always follows the other.
                var (first, second) = pair % 2 == 1 ? (many, 1) : (1, many);
                var a = EpochRate(train.Images, first);
                var b = EpochRate(train.Images, second);
                var (rate, one) = first == many ? (a, b) : (b, a);
                rates.Add(rate);
                single.Add(one);
                ratios.Add(rate / one);
                Console.WriteLine($"{load,5} {pair,5} {rate,10:N0} {one,10:N0} {rate / one,7:P0}");
            }
            summary.Add($"{load,5} {Range(rates),24} {Range(single),24} {Median(ratios),7:P0} ({ratios.Min():P0}-{ratios.Max():P0})");
        }
        Console.WriteLine();
        Console.WriteLine($"{"load",5} {$"{many} threads: median (range)",24} {"1 thread: median (range)",24} {"ratio: median (range)",22}");
        foreach (var line in summary) Console.WriteLine(line);
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Range(List<double> values) => $"{Median(values):N0} ({values.Min():N0}-{values.Max():N0})";

    private static double EpochRate(torch.Tensor images, int threads) => MedianRate(images, 1, threads);

    private static double MedianRate(torch.Tensor images, int epochs, int threads)
    {
        VaeRuntime.SetCpuThreads(threads);
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder();
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = epochs, Seed = 1 });
        var history = trainer.Fit(images).History;
        // The first epoch includes compiling and warming the caches, unless it is the only one.
        var rates = history.Skip(history.Count > 1 ? 1 : 0).Select(h => h.ImagesPerSecond).Order().ToArray();
        return rates[rates.Length / 2];
    }

    private sealed class Reporter(Action<EpochSummary> onEpoch) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.CompletedEpoch is { } summary) onEpoch(summary);
        }
    }
}
