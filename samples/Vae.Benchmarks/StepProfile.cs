using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using static TorchSharp.torch;

namespace Vae.Benchmarks;

/// <summary>
/// Where a training step spends its time: the plain TorchSharp loop (loss on probabilities, built-in Adam) timed
/// phase by phase, each phase closed by a synchronising read so that libtorch's work is charged to it.
/// </summary>
internal static class StepProfile
{
    private static readonly string[] Phases = ["gather batch", "forward", "loss", "backward", "finite check", "optimizer", "dispose + GC"];

    public static void Run(int epochs, int threads)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        else torch.set_num_threads(VaeRuntime.DefaultCpuThreads);
        manual_seed(1);
        using var model = new VariationalAutoencoder();
        var parameters = model.parameters().ToArray();
        using var optimizer = optim.Adam(parameters, lr: 1e-3);
        using var generator = new Generator(1);
        var clocks = Phases.Select(_ => new Stopwatch()).ToArray();
        var count = train.Count;
        var steps = 0;
        var total = Stopwatch.StartNew();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            using var permutation = randperm(count, generator: generator);
            for (long start = 0; start < count; start += 128)
            {
                clocks[6].Start();
                var scope = NewDisposeScope();
                clocks[6].Stop();

                clocks[0].Start();
                var batch = train.Images.index_select(0, permutation.narrow(0, start, Math.Min(128, count - start)));
                clocks[0].Stop();

                clocks[1].Start();
                optimizer.zero_grad();
                var output = model.Forward(batch, generator);
                _ = output.ReconstructionLogits[0, 0].item<float>();
                clocks[1].Stop();

                clocks[2].Start();
                var loss = nn.functional.binary_cross_entropy(output.ReconstructionLogits.sigmoid(), batch, reduction: nn.Reduction.Sum)
                           + ElboLoss.KlDivergence(output.Mean, output.LogVar);
                _ = loss.item<float>();
                clocks[2].Stop();

                clocks[3].Start();
                loss.backward();
                clocks[3].Stop();

                clocks[4].Start();
                _ = stack(parameters.Select(p => p.grad!.sum())).sum().item<float>();
                clocks[4].Stop();

                clocks[5].Start();
                optimizer.step();
                _ = parameters[^1][0].item<float>();
                clocks[5].Stop();

                clocks[6].Start();
                scope.Dispose();
                if (++steps % 50 == 0) GC.Collect();
                clocks[6].Stop();
            }
        }
        total.Stop();
        Console.WriteLine($"plain TorchSharp step, {torch.get_num_threads()} thread(s): {steps} steps, " +
                          $"{steps * 128.0 * count / (Math.Ceiling(count / 128.0) * 128) / total.Elapsed.TotalSeconds:N0} images/s");
        var perStep = clocks.Select(c => c.Elapsed.TotalMilliseconds / steps).ToArray();
        for (var i = 0; i < Phases.Length; i++)
            Console.WriteLine($"  {Phases[i],-14} {perStep[i],7:F3} ms  {perStep[i] / perStep.Sum() * 100,5:F1}%");
    }
}
