using FluentAssertions;
using Vae.Core.Kernels;
using Xunit;

namespace Vae.Core.Tests;

/// <summary>The helper threads behind the fused kernels' parallel parts.</summary>
public class KernelThreadsTests
{
    [Fact]
    public void EveryPartRunsOnceAndOnlyPartZeroOnTheCaller()
    {
        var caller = Environment.CurrentManagedThreadId;
        for (var round = 0; round < 100; round++)
        {
            var runs = new int[3];
            var threads = new int[3];
            KernelThreads.Run(3, part =>
            {
                Interlocked.Increment(ref runs[part]);
                threads[part] = Environment.CurrentManagedThreadId;
            });
            runs.Should().AllBeEquivalentTo(1);
            threads[0].Should().Be(caller);
            threads.Distinct().Should().HaveCount(3);
        }
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
    public void WhenThePartOnTheCallerFailsTheHelpersAreStillWaitedFor()
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
        call.Join(TimeSpan.FromSeconds(20)).Should().BeTrue("a nested call must not deadlock");
        inner[0, 0].Should().Be(inner[0, 1]);
        inner[1, 0].Should().Be(inner[1, 1]);
    }
}
