using System.Collections.Concurrent;
using FluentAssertions;
using Vae.Core.Kernels;
using Xunit;

namespace Vae.Core.Tests;

/// <summary>The helper threads behind the fused kernels' parallel parts.</summary>
/// <remarks>
/// Tests that hold the helpers back hold them back for other tests' calls too, which then run on their callers:
/// slower, but with the same results, which is what these tests are about.
/// </remarks>
[Collection(KernelThreadsCollection.Name)]
public class KernelThreadsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void EveryPartRunsOnceOnAtMostTheThreadsAskedFor()
    {
        for (var round = 0; round < 100; round++)
        {
            var runs = new int[24];
            var threadOfWorker = new ConcurrentDictionary<int, int>();
            KernelThreads.Run(24, 3, (part, worker) =>
            {
                Interlocked.Increment(ref runs[part]);
                worker.Should().BeInRange(0, 2);
                // A worker index belongs to one thread, so scratch memory indexed by it is never shared.
                threadOfWorker.GetOrAdd(worker, Environment.CurrentManagedThreadId).Should().Be(Environment.CurrentManagedThreadId);
            });
            runs.Should().AllBeEquivalentTo(1);
            // Worker 0 is the caller, when it got to a part before the helpers had claimed them all.
            if (threadOfWorker.TryGetValue(0, out var thread)) thread.Should().Be(Environment.CurrentManagedThreadId);
        }
    }

    [Fact]
    public void TheCallerRunsEveryPartWhileTheHelpersHaveNotStarted()
    {
        using var release = new ManualResetEventSlim(false);
        var caller = 0;
        var threads = new ConcurrentBag<int>();
        KernelThreads.HelperWaking = () => release.Wait();
        try
        {
            var call = new Thread(() =>
            {
                caller = Environment.CurrentManagedThreadId;
                KernelThreads.Run(16, 2, part => threads.Add(Environment.CurrentManagedThreadId));
            }) { IsBackground = true };
            call.Start();
            call.Join(Patience).Should().BeTrue("the caller must not wait for a helper that never started");
            threads.Should().HaveCount(16).And.OnlyContain(thread => thread == caller);
        }
        finally
        {
            KernelThreads.HelperWaking = null;
            release.Set();
        }
        // The helper, waking long after its call ended, claims nothing of it, and takes part in later calls.
        for (var round = 0; round < 20; round++)
        {
            var runs = new int[16];
            KernelThreads.Run(16, 2, part => Interlocked.Increment(ref runs[part]));
            runs.Should().AllBeEquivalentTo(1);
        }
    }

    [SkippableFact]
    public unsafe void AProductIsTheSameWhicheverThreadsRanItsParts()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        const int m = 130, n = 96, k = 77;
        var random = new Random(5);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] Product(int threads)
        {
            var c = new float[m * n];
            fixed (float* pa = a, pb = b, pc = c)
                Sgemm.Multiply(m, n, k, pa, k, 1, pb, n, pc, n, accumulate: false, threads);
            return c;
        }

        var alone = Product(1);
        var shared = Product(2);
        using var release = new ManualResetEventSlim(false);
        KernelThreads.HelperWaking = () => release.Wait();
        float[] callerOnly = [];
        try
        {
            // On a thread with a time limit, like the test above: a caller that waited for its helpers would never return.
            var call = new Thread(() => callerOnly = Product(2)) { IsBackground = true };
            call.Start();
            call.Join(Patience).Should().BeTrue("the caller must not wait for a helper that never started");
        }
        finally
        {
            KernelThreads.HelperWaking = null;
            release.Set();
        }

        shared.Should().Equal(alone);
        callerOnly.Should().Equal(alone);
    }

    [Fact]
    public void AThreadCountFarBeyondTheMachineIsCappedRatherThanCreated()
    {
        var threads = new ConcurrentDictionary<int, bool>();
        // On a thread with a time limit: creating 99,999 helpers would take half an hour.
        var call = new Thread(() => KernelThreads.Run(100_000, part => threads.TryAdd(Environment.CurrentManagedThreadId, true)))
        {
            IsBackground = true,
        };
        call.Start();
        call.Join(Patience).Should().BeTrue("100,000 parts must not mean 100,000 threads");
        threads.Count.Should().BeLessThanOrEqualTo(VaeRuntime.MaxCpuThreads);
    }

    [Fact]
    public void AFailingPartIsReportedAfterEveryPartHasFinished()
    {
        var finished = 0;
        var act = () => KernelThreads.Run(2, part =>
        {
            if (part == 1) throw new InvalidOperationException("part 1 failed");
            Thread.Sleep(20);
            Interlocked.Increment(ref finished);
        });

        act.Should().Throw<AggregateException>().WithInnerException<InvalidOperationException>().WithMessage("part 1 failed");
        finished.Should().Be(1);
        // The helpers are still usable afterwards.
        var sum = 0;
        KernelThreads.Run(2, part => Interlocked.Add(ref sum, part + 1));
        sum.Should().Be(3);
    }

    [Fact]
    public void WhenAPartFailsTheOthersAreStillWaitedFor()
    {
        var slowPartDone = false;
        var act = () => KernelThreads.Run(3, part =>
        {
            if (part == 0) throw new InvalidOperationException("part 0 failed");
            if (part == 2)
            {
                Thread.Sleep(50);
                Volatile.Write(ref slowPartDone, true);
            }
        });

        act.Should().Throw<AggregateException>().WithInnerException<InvalidOperationException>().WithMessage("part 0 failed");
        Volatile.Read(ref slowPartDone).Should().BeTrue("Run must not return while a helper is still working");
        var runs = new int[3];
        KernelThreads.Run(3, part => Interlocked.Increment(ref runs[part]));
        runs.Should().AllBeEquivalentTo(1);
    }

    [Fact]
    public void APartThatAsksForPartsGetsThemOnItsOwnThread()
    {
        var inner = new int[2, 2];
        // On a thread of its own with a time limit: handing a nested call to the busy helpers would deadlock.
        var call = new Thread(() => KernelThreads.Run(2, outer => KernelThreads.Run(2, part => inner[outer, part] = Environment.CurrentManagedThreadId)))
        {
            IsBackground = true,
        };
        call.Start();
        call.Join(Patience).Should().BeTrue("a nested call must not deadlock");
        inner[0, 0].Should().Be(inner[0, 1]);
        inner[1, 0].Should().Be(inner[1, 1]);
    }
}
