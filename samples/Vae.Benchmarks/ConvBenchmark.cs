using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>
/// The default convolutional model (1x28x28, convolutions 32 and 64, hidden 400, latent 20, batch 128, Adam) trained on
/// the shipped digits through the fused CPU step and through autograd, side by side: one epoch each in turns, on the
/// default thread count and on one, idle and beside busy processes.
/// </summary>
internal static class ConvBenchmark
{
    public static void Run(int rounds, int maxLoad, bool ownSessions)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        var many = Environment.ProcessorCount;
        var options = new VaeOptions { Architecture = VaeArchitecture.Convolutional };
        var flops = TrainingFlopsPerImage(options);
        Console.WriteLine($"training {train.Count:N0} digits, {options}, batch 128, one epoch per measurement; {many} logical processors; " +
                          $"{rounds} rounds per load; neighbours in {(ownSessions ? "their own sessions" : "this session")}");
        Console.WriteLine($"{flops / 1e6:F1} MFLOP per training image (forward, weight and input gradients; multiply-adds count 2)");
        // Compiling every kernel first, so that no measurement pays for it.
        foreach (var threads in new[] { many, 1 })
        foreach (var fused in new[] { true, false })
            EpochRate(train.Images, options, threads, fused, adapt: true);
        // The fused step on the default threads as it trains by default (choosing between them and half of them,
        // VaeTrainerOptions.AdaptCpuThreads) and held to them.
        var setups = new[] { (many, true, true), (many, true, false), (many, false, true), (1, true, true), (1, false, true) };
        string Name((int Threads, bool Fused, bool Adapt) setup) => $"{(setup.Fused ? setup.Adapt ? "fused" : "fixed" : "autograd")} {setup.Threads}T";
        Console.WriteLine($"{"load",5} {"round",6} " + string.Join(" ", setups.Select(s => $"{Name(s),12}")));
        var summary = new List<string>();
        for (var load = 0; load <= maxLoad; load++)
        {
            using var neighbours = new BusyNeighbours(load, ownSessions);
            var rates = setups.ToDictionary(s => s, _ => new List<double>());
            var perCpuSecond = setups.ToDictionary(s => s, _ => new List<double>());
            for (var round = 1; round <= rounds; round++)
            {
                // The order turns each round, so that no setup always follows another.
                var order = setups.Skip(round % setups.Length).Concat(setups.Take(round % setups.Length));
                foreach (var setup in order)
                {
                    var (rate, cpu) = EpochRate(train.Images, options, setup.Item1, setup.Item2, setup.Item3);
                    rates[setup].Add(rate);
                    perCpuSecond[setup].Add(cpu);
                }
                Console.WriteLine($"{load,5} {round,6} " + string.Join(" ", setups.Select(s => $"{rates[s][^1],12:N0}")) +
                                  "   per CPU-second: " + string.Join(" ", setups.Select(s => $"{perCpuSecond[s][^1],7:N0}")));
            }
            foreach (var setup in setups)
            {
                var values = rates[setup];
                var median = values.Order().ElementAt(values.Count / 2);
                var cpu = perCpuSecond[setup].Order().ElementAt(values.Count / 2);
                summary.Add($"{load,5} {Name(setup),12} {median,10:N0} ({values.Min():N0}-{values.Max():N0})  {median * flops / 1e9,6:F1} GFLOP/s  " +
                            $"{cpu,7:N0} images per CPU-second ({perCpuSecond[setup].Min():N0}-{perCpuSecond[setup].Max():N0})");
            }
            var fusedDefault = rates[(many, true, true)];
            var fusedOne = rates[(1, true, true)];
            summary.Add($"{load,5} {"fused " + many + "T / 1T",12} {fusedDefault.Zip(fusedOne, (a, b) => a / b).Order().ElementAt(rounds / 2),10:P0}");
        }
        Console.WriteLine();
        Console.WriteLine($"{"load",5} {"setup",12} {"images/s: median (range)",26}");
        foreach (var line in summary) Console.WriteLine(line);
    }

    /// <summary>
    /// The fused step's phases over <paramref name="steps"/> batches of 128, in CPU time of the calling thread (all the
    /// work with one thread, whatever else holds the cores) and wall time.
    /// </summary>
    public static void Profile(int steps, int threads)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        VaeRuntime.SetCpuThreads(threads);
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { Architecture = VaeArchitecture.Convolutional });
        using var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
        using var fused = Vae.Core.Kernels.FusedConvStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients)
            ?? throw new InvalidOperationException("no fused convolutional step on this processor");
        var phases = Vae.Core.Kernels.FusedConvStep.Phases;
        var (wall, cpu) = (new double[phases.Length], new double[phases.Length]);
        var (wallMark, cpuMark) = (System.Diagnostics.Stopwatch.GetTimestamp(), StepProfile.ThreadCpuSeconds());
        fused.PhaseEnded = p =>
        {
            var (w, c) = (System.Diagnostics.Stopwatch.GetTimestamp(), StepProfile.ThreadCpuSeconds());
            wall[p] += System.Diagnostics.Stopwatch.GetElapsedTime(wallMark, w).TotalMilliseconds;
            cpu[p] += (c - cpuMark) * 1000;
            (wallMark, cpuMark) = (w, c);
        };
        using var generator = new torch.Generator(1);
        var batch = train.Images.narrow(0, 0, 128).contiguous();
        for (var i = 0; i < 10; i++) fused.Run(batch, 1.0, generator, threads);
        Array.Clear(wall);
        Array.Clear(cpu);
        for (var i = 0; i < steps; i++)
        {
            (wallMark, cpuMark) = (System.Diagnostics.Stopwatch.GetTimestamp(), StepProfile.ThreadCpuSeconds());
            fused.Run(batch, 1.0, generator, threads);
        }
        Console.WriteLine($"fused convolutional step, batch 128, {threads} thread(s), {steps} steps: ms per step");
        Console.WriteLine($"{"phase",34} {"wall",8} {"cpu",8}");
        for (var p = 0; p < phases.Length; p++) Console.WriteLine($"{phases[p],34} {wall[p] / steps,8:F2} {cpu[p] / steps,8:F2}");
        Console.WriteLine($"{"total",34} {wall.Sum() / steps,8:F2} {cpu.Sum() / steps,8:F2}  ({128 * steps / (wall.Sum() / 1000):N0} images/s by wall time)");
    }

    /// <summary>
    /// Floating-point operations of one training image: every layer's forward product, its weight gradient, and its
    /// input gradient except the first convolution's (multiply-adds count 2; activations, loss and Adam left out).
    /// </summary>
    public static double TrainingFlopsPerImage(VaeOptions options)
    {
        var maps = new List<(int Height, int Width)> { (options.ImageHeight, options.ImageWidth) };
        for (var i = 0; i < options.ConvChannels.Count; i++) maps.Add((maps[^1].Height / 2, maps[^1].Width / 2));
        double forward = 0, first = 0;
        for (var i = 0; i < options.ConvChannels.Count; i++)
        {
            var input = i == 0 ? options.ImageChannels : options.ConvChannels[i - 1];
            var macs = (double)options.ConvChannels[i] * input * 16 * maps[i + 1].Height * maps[i + 1].Width;
            forward += 2 * macs; // the transposed convolution that mirrors it does as many
            if (i == 0) first = macs;
        }
        var width = options.ConvChannels[^1] * maps[^1].Height * maps[^1].Width;
        foreach (var size in options.HiddenSizes)
        {
            forward += 2.0 * width * size; // encoder and the decoder's mirror
            width = size;
        }
        forward += 2.0 * width * options.LatentSize + (double)options.LatentSize * width; // two heads, the decoder's first layer
        return 2 * (3 * forward - first);
    }

    // Images per second of wall time, and per second of this process's CPU time (which, on a machine other processes
    // crowd, counts only the time the work ran; with two threads it also counts the helpers' spinning).
    private static (double Rate, double PerCpuSecond) EpochRate(torch.Tensor images, VaeOptions options, int threads, bool fused, bool adapt)
    {
        VaeRuntime.SetCpuThreads(threads);
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder(options);
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, Seed = 1, UseFusedCpuKernels = fused, UseFusedConvolutionalStep = fused, AdaptCpuThreads = adapt });
        if (trainer.UsesFusedCpuKernels != fused) throw new InvalidOperationException($"the trainer {(fused ? "did not take" : "took")} the fused step");
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var rate = trainer.Fit(images).History[0].ImagesPerSecond;
        process.Refresh();
        return (rate, images.shape[0] / (process.TotalProcessorTime - cpu).TotalSeconds);
    }
}
