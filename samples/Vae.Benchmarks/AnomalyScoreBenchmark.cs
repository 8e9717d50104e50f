using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>
/// Anomaly scores at the posterior mean (<see cref="AnomalyDetector.Score"/>) of the shipped test digits, for the
/// convolutional model (or the MLP with --mlp): the fused decoder against the modules', in alternating rounds, as
/// wall time and images per CPU-second. With --task sample or --task reconstruct, the same for
/// <see cref="VariationalAutoencoder.Sample(int, TorchSharp.torch.Generator?)"/> or <see cref="VariationalAutoencoder.Reconstruct"/>.
/// </summary>
internal static class AnomalyScoreBenchmark
{
    public static void Run(string[] args)
    {
        int Option(string name, int fallback) => BenchmarkOptions.Int(args, name, fallback);
        var threads = Option("--threads", 0);
        var rounds = Option("--rounds", 3);
        // Rows per Score call: a service scores a few at a time, where the fused decoder's setup counts.
        var batch = Option("--batch", 2000);
        var taskIndex = Array.IndexOf(args, "--task");
        var task = taskIndex >= 0 && taskIndex + 1 < args.Length ? args[taskIndex + 1] : "score";
        if (task is not ("score" or "sample" or "reconstruct"))
            throw new ArgumentException($"--task takes score, sample or reconstruct, not '{task}'.");
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        using var train = ShippedDigits.Load(MnistSplit.Train);
        using var test = ShippedDigits.Load(MnistSplit.Test);
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { Architecture = args.Contains("--mlp") ? VaeArchitecture.Mlp : VaeArchitecture.Convolutional });
        using (var subset = train.Images.narrow(0, 0, 2000))
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, Seed = 1 }))
        {
            trainer.Fit(subset);
        }
        using var detector = AnomalyDetector.Fit(model, train.Images.narrow(0, 0, 1000));
        Console.WriteLine($"{task} of {test.Count:N0} test digits, {batch} per call, {model.Options.Architecture}, {VaeRuntime.CpuThreads} thread(s), {rounds} rounds");
        Console.WriteLine($"{"round",5} {"path",8} {"seconds",8} {"images/s",10} {"per CPU-s",10}");
        var process = Process.GetCurrentProcess();
        List<double>? first = null;
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var fused in new[] { true, false })
            {
                AnomalyDetector.UseFusedKernels = fused;
                VariationalAutoencoder.UseFusedInference = fused;
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                var scores = new List<double>();
                for (long start = 0; start < test.Count; start += batch)
                {
                    using var rows = test.Images.narrow(0, start, Math.Min(batch, test.Count - start));
                    if (task == "score")
                    {
                        scores.AddRange(detector.Score(rows));
                        continue;
                    }
                    // The mean of each output row stands for it in the comparison between the paths.
                    using var output = task == "sample" ? model.Sample((int)rows.shape[0], new torch.Generator((ulong)start + 1)) : model.Reconstruct(rows);
                    using var means = output.mean([1]);
                    scores.AddRange(means.data<float>().Select(v => (double)v));
                }
                clock.Stop();
                process.Refresh();
                var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
                first ??= scores;
                var largest = scores.Zip(first, (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(b))).Max();
                Console.WriteLine($"{round,5} {(fused ? "fused" : "modules"),8} {clock.Elapsed.TotalSeconds,8:F2} {test.Count / clock.Elapsed.TotalSeconds,10:N0} {test.Count / cpuSeconds,10:N0}   (largest relative difference from the first: {largest:E1})");
            }
        }
        AnomalyDetector.UseFusedKernels = true;
        VariationalAutoencoder.UseFusedInference = true;
    }
}
