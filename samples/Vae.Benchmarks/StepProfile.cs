using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Benchmarks;

/// <summary>
/// Where a training step spends its time, phase by phase, for the plain TorchSharp loop (BCE on probabilities,
/// TorchSharp's Adam) and for the trainer's path (BCE on logits, one flat buffer with its own Adam). Each phase ends
/// with a synchronising read so libtorch's work is charged to it. With one libtorch thread all work runs on the
/// calling thread, so its CPU time (not wall time) measures the work even while other processes share the cores.
/// </summary>
internal static class StepProfile
{
    // Held by a static field: TorchSharp frees a scalar made on the fly (as `a + b` makes its alpha) only in its
    // finalizer, which may run in the middle of the libtorch call that reads it.
    private static readonly Scalar One = 1;

    private static readonly string[] Phases = ["gather batch", "zero grad", "forward", "loss", "backward", "finite check", "optimizer", "dispose + GC"];

    public static void Run(int epochs, int threads)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        Profile(train.Images, epochs, flat: false);
        Profile(train.Images, epochs, flat: true);
        ProfileFused(train.Images, epochs);
    }

    // The fused CPU step (VaeTrainer's default on x86-64 with AVX-512 or AVX2), phase by phase inside the step. Wall time: its matrix
    // products run on every libtorch thread's worth of .NET threads.
    private static void ProfileFused(Tensor images, int epochs)
    {
        manual_seed(1);
        using var model = new VariationalAutoencoder();
        var parameters = model.parameters().ToArray();
        using var adam = new FlatAdam(parameters, 1e-3) { Threads = torch.get_num_threads() };
        using var fused = FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients);
        if (fused is null)
        {
            Console.WriteLine("fused step: not available on this processor (it needs AVX2 and FMA)");
            return;
        }
        string[] phases = ["batch indices", .. FusedMlpStep.Phases, "finite check", "optimizer", "dispose + GC"];
        var wall = new double[phases.Length];
        var mark = Stopwatch.GetTimestamp();
        void Mark(int p)
        {
            var now = Stopwatch.GetTimestamp();
            wall[p] += Stopwatch.GetElapsedTime(mark, now).TotalMilliseconds;
            mark = now;
        }
        fused.PhaseEnded = p => Mark(p + 1);
        using var generator = new Generator(1);
        var count = images.shape[0];
        var steps = 0;
        var threads = torch.get_num_threads();
        var last = FusedMlpStep.Phases.Length;
        var total = Stopwatch.StartNew();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            using var permutation = randperm(count, generator: generator);
            for (long start = 0; start < count; start += 128)
            {
                var scope = NewDisposeScope();
                var rows = permutation.narrow(0, start, Math.Min(128, count - start));
                Mark(0);
                fused.Run(images, rows, 1.0, generator, threads);
                _ = adam.SumOfGradients();
                Mark(last + 1);
                adam.Step();
                Mark(last + 2);
                scope.Dispose();
                if (++steps % 50 == 0) GC.Collect();
                Mark(last + 3);
            }
        }
        total.Stop();
        Console.WriteLine($"fused CPU step (VaeTrainer's default here), {threads} thread(s), {steps} steps: {steps * 128.0 / total.Elapsed.TotalSeconds:N0} images/s wall");
        Console.WriteLine($"  {"phase",-26} {"wall ms",8} {"share",6}");
        for (var i = 0; i < phases.Length; i++)
            Console.WriteLine($"  {phases[i],-26} {wall[i] / steps,8:F3} {wall[i] / wall.Sum() * 100,5:F1}%");
    }

    private static void Profile(Tensor images, int epochs, bool flat)
    {
        manual_seed(1);
        using var model = new VariationalAutoencoder();
        var parameters = model.parameters().ToArray();
        using var builtIn = flat ? null : optim.Adam(parameters, lr: 1e-3);
        using var flatAdam = flat ? new FlatAdam(parameters, 1e-3) : null;
        using var generator = new Generator(1);
        var wall = new double[Phases.Length];
        var cpu = new double[Phases.Length];
        var count = images.shape[0];
        var steps = 0;
        var (wallMark, cpuMark) = (Stopwatch.GetTimestamp(), ThreadCpuSeconds());
        void Mark(int p)
        {
            var (w, c) = (Stopwatch.GetTimestamp(), ThreadCpuSeconds());
            wall[p] += Stopwatch.GetElapsedTime(wallMark, w).TotalMilliseconds;
            cpu[p] += (c - cpuMark) * 1000;
            (wallMark, cpuMark) = (w, c);
        }

        var total = Stopwatch.StartNew();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            using var permutation = randperm(count, generator: generator);
            for (long start = 0; start < count; start += 128)
            {
                var scope = NewDisposeScope();
                var batch = images.index_select(0, permutation.narrow(0, start, Math.Min(128, count - start)));
                Mark(0);
                if (flat) flatAdam!.ZeroGrad(); else builtIn!.zero_grad();
                Mark(1);
                var output = model.Forward(batch, generator);
                _ = output.DecoderOutput[0, 0].item<float>();
                Mark(2);
                var loss = flat
                    ? ElboLoss.NegativeElboUnchecked(output, batch, 1.0, nn.Reduction.Sum).Loss
                    : nn.functional.binary_cross_entropy(output.DecoderOutput.sigmoid(), batch, reduction: nn.Reduction.Sum)
                          .add(ElboLoss.KlDivergence(output.Mean, output.LogVariance, nn.Reduction.Sum), One);
                _ = loss.item<float>();
                Mark(3);
                loss.backward();
                Mark(4);
                _ = flat ? flatAdam!.Gradients.sum().item<float>() : stack(parameters.Select(p => p.grad!.sum())).sum().item<float>();
                Mark(5);
                if (flat) flatAdam!.Step(); else builtIn!.step();
                _ = parameters[^1][0].item<float>();
                Mark(6);
                scope.Dispose();
                if (++steps % 50 == 0) GC.Collect();
                Mark(7);
            }
        }
        total.Stop();
        Console.WriteLine($"{(flat ? "trainer's path (flat buffer, own Adam, BCE on logits)" : "plain TorchSharp (its Adam, BCE on probabilities)")}, " +
                          $"{torch.get_num_threads()} thread(s), {steps} steps: {steps * 128.0 / total.Elapsed.TotalSeconds:N0} images/s wall, " +
                          $"{steps * 128.0 / (cpu.Sum() / 1000):N0} images per CPU-second of the training thread");
        Console.WriteLine($"  {"phase",-14} {"wall ms",8} {"cpu ms",8} {"share",6}");
        for (var i = 0; i < Phases.Length; i++)
            Console.WriteLine($"  {Phases[i],-14} {wall[i] / steps,8:F3} {cpu[i] / steps,8:F3} {cpu[i] / cpu.Sum() * 100,5:F1}%");
    }

    internal static double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var time);
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out TimeSpec time);
}
