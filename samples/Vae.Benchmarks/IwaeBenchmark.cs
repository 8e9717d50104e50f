using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>
/// The importance-weighted estimate of log p(x) of a convolutional model (or the model in --model) on the shipped test
/// digits: wall time and images per CPU-second of the fused decoder against the modules', in alternating rounds.
/// </summary>
internal static class IwaeBenchmark
{
    public static void Run(string[] args)
    {
        int Option(string name, int fallback) => BenchmarkOptions.Int(args, name, fallback);
        var modelIndex = Array.IndexOf(args, "--model");
        var k = Option("--k", 1000);
        var threads = Option("--threads", 0);
        var rounds = Option("--rounds", 1);
        var plain = args.Contains("--plain");
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        if (args.Contains("--phases")) Vae.Core.Kernels.FusedLikelihood.PhaseTicks = new long[4];
        if (Array.IndexOf(args, "--group") is var g and >= 0) Vae.Core.Kernels.FusedConvStep.ChannelGroup = int.Parse(args[g + 1]);
        var tiles = args.Contains("--tiles") ? args[Array.IndexOf(args, "--tiles") + 1].Split(',').Select(int.Parse).ToArray() : [Vae.Core.Kernels.FusedLikelihood.ConvTileColumns];

        using var test = ShippedDigits.Load(MnistSplit.Test);
        var rows = Math.Min(Option("--rows", (int)test.Count), (int)test.Count);
        VariationalAutoencoder model;
        if (modelIndex >= 0 && modelIndex + 1 < args.Length)
        {
            model = VariationalAutoencoder.Load(args[modelIndex + 1]);
        }
        else
        {
            // Untrained weights decode as fast as trained ones; one short epoch gives plausible figures.
            using var train = ShippedDigits.Load(MnistSplit.Train);
            torch.manual_seed(1);
            model = new VariationalAutoencoder(new VaeOptions { Architecture = VaeArchitecture.Convolutional });
            using var subset = train.Images.narrow(0, 0, 2000);
            using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, Seed = 1 });
            trainer.Fit(subset);
        }
        using (model)
        {
            using var images = test.Images.narrow(0, 0, rows);
            using var x = model.Options.Architecture == VaeArchitecture.Convolutional
                ? images.reshape(rows, model.Options.ImageChannels, model.Options.ImageHeight, model.Options.ImageWidth)
                : images.alias();
            Console.WriteLine($"IWAE k = {k:N0} of {model.Options} on {rows:N0} test digits, {VaeRuntime.CpuThreads} threads, {rounds} round(s){(plain ? ", fused and modules alternating" : "")}");
            for (var round = 0; round < rounds; round++)
            {
                foreach (var tile in tiles)
                {
                    Vae.Core.Kernels.FusedLikelihood.ConvTileColumns = tile;
                    Measure(x, tiles.Length > 1 ? $"fused {tile}" : "fused", useFused: true);
                }
                if (plain) Measure(x, "modules", useFused: false);
            }
        }

        void Measure(torch.Tensor x, string name, bool useFused)
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator(1);
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var values = LikelihoodEstimator.LogLikelihood(model, x, k, generator, null, LikelihoodEstimator.DefaultElementBudget, CancellationToken.None, useFused)
                .data<double>().ToArray();
            var seconds = clock.Elapsed.TotalSeconds;
            if (Vae.Core.Kernels.FusedLikelihood.PhaseTicks is { } ticks && useFused)
            {
                string[] names = ["dense", "deconv 1", "deconv 2+", "likelihood"];
                Console.WriteLine("  phases (s): " + string.Join(", ", names.Select((n, i) => $"{n} {ticks[i] / (double)Stopwatch.Frequency:F2}")));
                Array.Clear(ticks);
            }
            process.Refresh();
            var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
            var mean = values.Average();
            var error = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(values.Length - 1, 1) / values.Length);
            Console.WriteLine($"  {name,-9} {seconds,7:F1} s wall, {cpuSeconds,7:F1} CPU-s: {rows / seconds,7:F1} images/s, {rows / cpuSeconds,7:F2} images per CPU-second " +
                              $"({rows * (double)k / cpuSeconds:N0} decoded samples per CPU-second), NLL {-mean:F3} +- {error:F3}");
        }
    }
}
