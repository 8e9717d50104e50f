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
    // A clock the test moves: each step takes what cost(threads, step) says, so the choices are the probe's logic alone.
    private static (List<int> Counts, ThreadCountProbe Probe) Run(int steps, Func<int, int, long> cost, Func<int, int>? rows = null)
    {
        long now = 0;
        var probe = new ThreadCountProbe(2, () => now);
        var counts = new List<int>();
        for (var step = 0; step < steps; step++)
        {
            var threads = probe.Begin(rows?.Invoke(step) ?? 100);
            counts.Add(threads);
            now += cost(threads, step);
            probe.Finish();
        }
        return (counts, probe);
    }

    private static IEnumerable<int> Look => Enumerable.Repeat(2, 1 + ThreadCountProbe.TimedSteps).Concat(Enumerable.Repeat(1, 1 + ThreadCountProbe.TimedSteps));

    [Fact]
    public void LooksAtBothCountsThenKeepsTheFasterPerRow()
    {
        var chosen = new List<int>();
        long now = 0;
        var probe = new ThreadCountProbe(2, () => now);
        probe.Chose = chosen.Add;
        var counts = new List<int>();
        var steps = 2 * probe.ProbeSteps + ThreadCountProbe.MinimumRunSteps + ThreadCountProbe.RunSteps + 10;
        for (var step = 0; step < steps; step++)
        {
            var threads = probe.Begin(100);
            counts.Add(threads);
            // Two threads made slower: the probe must notice and keep one.
            now += threads == 2 ? 4000 : 3000;
            probe.Finish();
        }
        var probeSteps = probe.ProbeSteps;
        counts.Take(probeSteps).Should().Equal(Look);
        counts.Skip(probeSteps).Take(ThreadCountProbe.MinimumRunSteps).Should().AllBeEquivalentTo(1, "one thread measured faster");
        var second = probeSteps + ThreadCountProbe.MinimumRunSteps;
        counts.Skip(second).Take(probeSteps).Should().Equal(Look, "the first look, taken while the process warms up, is checked soon");
        counts.Skip(second + probeSteps).Take(ThreadCountProbe.RunSteps).Should().AllBeEquivalentTo(1, "the speed held, so the next look waits the whole run");
        counts.Skip(second + probeSteps + ThreadCountProbe.RunSteps).Take(probeSteps).Should().Equal(Look.Take(10), "each cycle looks again");
        chosen.Should().Equal(1, 1, 1);
        probe.Chosen.Should().Be(1);
    }

    [Fact]
    public void LooksAgainSoonAfterNeighboursTakeTheCores()
    {
        const int change = 150;
        // Two threads twice as fast until busy processes arrive at step 150; then they are slower than one.
        var (counts, probe) = Run(300, (threads, step) => step < change ? (threads == 2 ? 1000 : 2000) : (threads == 2 ? 6000 : 3000));
        counts.Skip(60).Take(change - 60).Should().AllBeEquivalentTo(2, "two threads were faster and the speed held");
        var look = counts.FindIndex(change, c => c == 1);
        look.Should().BeInRange(change + 1, change + ThreadCountProbe.DriftWindow / 2 + 1 + 1 + ThreadCountProbe.TimedSteps,
            "the median of the last steps moved past the ratio once more than half of them were slow");
        counts.Skip(look - 1 - ThreadCountProbe.TimedSteps).Take(probe.ProbeSteps).Should().Equal(Look);
        counts.Skip(look - 1 - ThreadCountProbe.TimedSteps + probe.ProbeSteps).Should().AllBeEquivalentTo(1, "one thread is faster beside the neighbours");
        probe.Chosen.Should().Be(1);
    }

    [Fact]
    public void LooksAgainWhenTheNeighboursLeave()
    {
        const int change = 150;
        // Beside busy processes one thread is faster; when they leave, every step speeds up and two threads win again.
        var (counts, probe) = Run(300, (threads, step) => step < change ? (threads == 2 ? 6000 : 3000) : (threads == 2 ? 800 : 1500));
        counts.Skip(60).Take(change - 60).Should().AllBeEquivalentTo(1);
        var look = counts.FindIndex(change, c => c == 2);
        look.Should().BeInRange(change + 1, change + ThreadCountProbe.DriftWindow / 2 + 1 + 1);
        counts.Skip(look + probe.ProbeSteps).Should().AllBeEquivalentTo(2);
        probe.Chosen.Should().Be(2);
    }

    [Fact]
    public void OneStalledStepDoesNotCallForALook()
    {
        // A page fault or a collection: one step 20 times slower than the rest.
        var (_, probe) = Run(235, (threads, step) => step == 100 ? 20_000 : threads == 2 ? 1000 : 2000);
        probe.Looks.Should().Be(2, "the first look and its check after the warm-up, and no look for one slow step");
        probe.Chosen.Should().Be(2);
    }

    [Fact]
    public void LooksCostABoundedShareHoweverTheSpeedMoves()
    {
        // The speed swings by 4x every few steps: each swing passes the ratio, but looks keep the minimum run apart.
        var (counts, probe) = Run(1000, (threads, step) => (step / 5 % 2 == 0 ? 1000 : 4000) * (threads == 2 ? 1 : 2));
        probe.Looks.Should().BeLessThanOrEqualTo(1 + 1000 / (probe.ProbeSteps + ThreadCountProbe.MinimumRunSteps));
        probe.Looks.Should().BeGreaterThan(2, "the speed did move");
        counts.Should().HaveCount(1000);
    }

    [Fact]
    public void TimesPerRowNotPerStep()
    {
        // Batches of 10 rows in most steps (as many short epochs' last batches would be): their steps are ten times
        // shorter but no faster per row, and call for no look.
        static bool Small(int step) => step % 7 < 4;
        var (_, probe) = Run(235, (threads, step) => (Small(step) ? 10 : 100) * (threads == 2 ? 10 : 20), step => Small(step) ? 10 : 100);
        probe.Looks.Should().Be(2);
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
