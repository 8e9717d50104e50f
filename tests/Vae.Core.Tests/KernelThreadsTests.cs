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
}
