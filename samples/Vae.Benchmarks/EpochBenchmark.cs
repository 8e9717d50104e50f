using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>Training throughput and memory over whole epochs of the default 784-400-20 model, batch 128, Adam.</summary>
internal static class EpochBenchmark
{
    public static void Run(int epochs, int threads, bool fused, bool gaussian, BusyNeighbours neighbours)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        Console.WriteLine($"training {train.Count:N0} digits, 784-400-20, batch 128, Adam 1e-3, {epochs} epochs, " +
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
        using var model = new VariationalAutoencoder(gaussian
            ? new VaeOptions { Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true, GaussianVariance = 0.1 }
            : new VaeOptions());
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = epochs, Seed = 1, UseFusedCpuKernels = fused });
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
    /// The default thread count against one thread with 0, 1 and 2 busy neighbour processes, the configurations
    /// alternated within each repetition so that whatever else loads the machine falls on all of them alike.
    /// </summary>
    public static void UnderLoad(int epochs, int repeats, int maxLoad, bool ownSessions)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        var threadCounts = new[] { Environment.ProcessorCount, 1 }.Distinct().ToArray();
        var rates = new Dictionary<(int Load, int Threads), List<double>>();
        Console.WriteLine($"training {train.Count:N0} digits, 784-400-20, batch 128, median images/s over epochs 2..{epochs}; " +
                          $"{Environment.ProcessorCount} logical processors; {repeats} repetition(s)");
        Console.WriteLine($"{"repeat",6} {"load",5} {"threads",8} {"images/s",10}");
        for (var repeat = 1; repeat <= repeats; repeat++)
        {
            for (var load = 0; load <= maxLoad; load++)
            {
                using var neighbours = new BusyNeighbours(load, ownSessions);
                // Which thread count goes first alternates, so neither always meets a freshly started neighbour.
                foreach (var threads in repeat % 2 == 1 ? threadCounts : threadCounts.Reverse())
                {
                    var rate = MedianRate(train.Images, epochs, threads);
                    Console.WriteLine($"{repeat,6} {load,5} {threads,8} {rate,10:N0}");
                    (rates.TryGetValue((load, threads), out var list) ? list : rates[(load, threads)] = []).Add(rate);
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine($"{"load",5} {"threads",8} {"min",8} {"median",8} {"max",8} {"vs 1 thread (median)",22}");
        for (var load = 0; load <= maxLoad; load++)
        {
            foreach (var threads in threadCounts)
            {
                var sorted = rates[(load, threads)].Order().ToArray();
                var single = rates[(load, 1)].Order().ToArray();
                var ratio = sorted[sorted.Length / 2] / single[single.Length / 2];
                Console.WriteLine($"{load,5} {threads,8} {sorted[0],8:N0} {sorted[sorted.Length / 2],8:N0} {sorted[^1],8:N0} {ratio,22:P0}");
            }
        }
    }

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
