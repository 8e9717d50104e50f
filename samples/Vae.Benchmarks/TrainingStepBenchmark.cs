using BenchmarkDotNet.Attributes;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using static TorchSharp.torch;

namespace Vae.Benchmarks;

/// <summary>One epoch-sized slice of training steps: the library's trainer (fused CPU step, and on autograd) against the plain TorchSharp loop.</summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(8)]
public class TrainingStepBenchmark
{
    // Held by a static field: TorchSharp frees a scalar made on the fly (as `a + b` makes its alpha) only in its
    // finalizer, which may run in the middle of the libtorch call that reads it.
    private static readonly Scalar One = 1;

    private const int Steps = 20;
    private MnistDataset train = null!;
    private Tensor batches = null!;
    private VariationalAutoencoder model = null!;

    [GlobalSetup]
    public void Setup()
    {
        train = ShippedDigits.Load(MnistSplit.Train);
        batches = train.Images.narrow(0, 0, 128 * Steps).reshape(Steps, 128, 784);
        manual_seed(1);
        model = new VariationalAutoencoder();
    }

    // A fresh trainer (and Adam state) per invocation: one epoch of 20 batches.
    [Benchmark(Description = "VaeTrainer, 20 steps of 128")]
    public void Trainer()
    {
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, Seed = 1 });
        trainer.Fit(_ => Enumerable.Range(0, Steps).Select(i => batches[i]));
    }

    [Benchmark(Description = "VaeTrainer on autograd (UseFusedCpuKernels = false), 20 steps of 128")]
    public void TrainerOnAutograd()
    {
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, Seed = 1, UseFusedCpuKernels = false });
        trainer.Fit(_ => Enumerable.Range(0, Steps).Select(i => batches[i]));
    }

    [Benchmark(Baseline = true, Description = "plain TorchSharp loop, 20 steps of 128")]
    public void Plain()
    {
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        for (var i = 0; i < Steps; i++)
        {
            using var scope = NewDisposeScope();
            var batch = batches[i];
            optimizer.zero_grad();
            var output = model.forward(batch);
            var loss = nn.functional.binary_cross_entropy(output.DecoderOutput.sigmoid(), batch, reduction: nn.Reduction.Sum)
                       .add(ElboLoss.KlDivergence(output.Mean, output.LogVariance, nn.Reduction.Sum), One);
            loss.backward();
            optimizer.step();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        model.Dispose();
        batches.Dispose();
        train.Dispose();
    }
}
