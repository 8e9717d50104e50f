using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Kernels;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// The fused steps' choice between the thread count and half of it (<see cref="VaeTrainerOptions.AdaptCpuThreads"/>):
/// the cycle of looks, and that training with it gives the bits of training on a fixed thread count.
/// </summary>
public sealed class ThreadCountProbeTests
{
    [Fact]
    public void LooksAtBothCountsThenKeepsTheFasterPerRow()
    {
        var probe = new ThreadCountProbe(2);
        var counts = new List<int>();
        var chosen = new List<int>();
        probe.Chose = chosen.Add;
        for (var step = 0; step < probe.CycleSteps + 10; step++)
        {
            var threads = probe.Begin(100);
            counts.Add(threads);
            // Two threads made slow: the probe must notice and keep one.
            if (threads == 2) Thread.Sleep(4);
            probe.Finish();
        }
        var probeSteps = 2 * (1 + ThreadCountProbe.TimedSteps);
        counts.Take(probeSteps).Should().Equal(Enumerable.Repeat(2, 1 + ThreadCountProbe.TimedSteps).Concat(Enumerable.Repeat(1, 1 + ThreadCountProbe.TimedSteps)));
        chosen.Should().StartWith(1);
        counts.Skip(probeSteps).Take(ThreadCountProbe.RunSteps).Should().AllBeEquivalentTo(1, "one thread measured faster");
        counts.Skip(probe.CycleSteps).Take(1 + ThreadCountProbe.TimedSteps).Should().AllBeEquivalentTo(2, "each cycle looks again");
        probe.Chosen.Should().Be(1);
    }

    [Fact]
    public void NeedsMoreThanOneThread()
    {
        var create = () => new ThreadCountProbe(1);
        create.Should().Throw<ArgumentOutOfRangeException>();
    }

    // With looks every few steps, training switches between 1 and 2 threads many times; the weights must be those of
    // training on 2 threads throughout, and of 1 thread throughout, bit for bit.
    [SkippableTheory]
    [InlineData(VaeArchitecture.Mlp)]
    [InlineData(VaeArchitecture.Convolutional)]
    public void TrainingWithItGivesTheBitsOfAFixedThreadCount(VaeArchitecture architecture)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        var saved = ThreadCountProbe.RunSteps;
        var threads = VaeRuntime.CpuThreads;
        ThreadCountProbe.RunSteps = 1;
        try
        {
            var options = architecture == VaeArchitecture.Mlp
                ? new VaeOptions { InputSize = 64, HiddenSizes = [32], LatentSize = 4 }
                : FusedConvStepTests.Options(1, 12, 10, [4, 8], [16], 3);
            var data = Binary(330, options.InputSize, seed: 9);
            var weights = new List<float[]>();
            foreach (var (count, adapt) in new[] { (2, true), (2, false), (1, false) })
            {
                using var scope = NewDisposeScope();
                manual_seed(4);
                using var model = new VariationalAutoencoder(options);
                using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 16, Seed = 3, CpuThreads = count, AdaptCpuThreads = adapt });
                trainer.UsesFusedCpuKernels.Should().BeTrue();
                trainer.Fit(data);
                weights.Add(model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray());
            }
            weights[0].Should().Equal(weights[1], "switching threads changes no bit");
            weights[1].Should().Equal(weights[2], "the fused steps' results do not depend on the thread count");
        }
        finally
        {
            ThreadCountProbe.RunSteps = saved;
            VaeRuntime.SetCpuThreads(threads);
        }
    }
}
