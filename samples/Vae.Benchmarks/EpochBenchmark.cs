using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>Training throughput and memory over whole epochs of the default 784-400-20 model, batch 128, Adam.</summary>
internal static class EpochBenchmark
{
    public static void Run(int epochs, int threads, bool fused, bool gaussian)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        Console.WriteLine($"training {train.Count:N0} digits, 784-400-20, batch 128, Adam 1e-3, {epochs} epochs, " +
                          $"{(threads > 0 ? threads : VaeRuntime.CpuThreads)} libtorch thread(s), {Environment.ProcessorCount} cores");
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

    public static void SweepThreads(int epochs)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        Console.WriteLine($"{"threads",7} {"median images/s",16}");
        for (var threads = 1; threads <= Environment.ProcessorCount; threads++)
        {
            VaeRuntime.SetCpuThreads(threads);
            torch.manual_seed(1);
            using var model = new VariationalAutoencoder();
            using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = epochs, Seed = 1 });
            var rates = trainer.Fit(train.Images).History.Skip(1).Select(h => h.ImagesPerSecond).Order().ToArray();
            Console.WriteLine($"{threads,7} {rates[rates.Length / 2],16:N0}");
        }
    }

    private sealed class Reporter(Action<EpochSummary> onEpoch) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.CompletedEpoch is { } summary) onEpoch(summary);
        }
    }
}
