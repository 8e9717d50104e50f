using FluentAssertions;
using Vae.Core;
using Xunit;

namespace Vae.Core.Tests;

/// <summary>Thread counts far beyond the machine are refused before any thread is made.</summary>
public class CpuThreadLimitTests
{
    // Each call runs on a task with a time limit: before the limit existed, such a count never came back.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static int Limit => 4 * Environment.ProcessorCount;

    [Fact]
    public void SetCpuThreadsRefusesACountAboveFourThreadsPerLogicalProcessor()
    {
        var original = VaeRuntime.CpuThreads;
        try
        {
            var call = Task.Run(() => VaeRuntime.SetCpuThreads(100_000));
            FinishesInTime(call);
            call.Exception.Should().NotBeNull("100,000 threads must be refused");
            var refusal = call.Exception!.InnerException.Should().BeOfType<ArgumentOutOfRangeException>().Subject;
            refusal.ParamName.Should().Be("threads");
            refusal.Message.Should().Contain("100000").And.Contain($"{Limit}").And.Contain("logical processors");
            VaeRuntime.CpuThreads.Should().Be(original, "a refused count changes nothing");
            VaeRuntime.MaxCpuThreads.Should().Be(Limit);
        }
        finally
        {
            VaeRuntime.SetCpuThreads(original);
        }
    }

    [Fact]
    public void TheLimitItselfIsAccepted()
    {
        var original = VaeRuntime.CpuThreads;
        try
        {
            VaeRuntime.SetCpuThreads(Limit);
            VaeRuntime.CpuThreads.Should().Be(Limit);
        }
        finally
        {
            VaeRuntime.SetCpuThreads(original);
        }
        var justAbove = () => VaeRuntime.SetCpuThreads(Limit + 1);
        justAbove.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("threads");
    }

    [Fact]
    public void TrainingWithTooManyCpuThreadsStopsAtOnceWithTheLimit()
    {
        var original = VaeRuntime.CpuThreads;
        try
        {
            var call = Task.Run(() =>
            {
                using var data = SyntheticData.Binary(64, 64, seed: 3);
                using var model = SyntheticData.SmallModel();
                using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 32, CpuThreads = 100_000 });
                trainer.Fit(data);
            });
            FinishesInTime(call);
            call.Exception.Should().NotBeNull("100,000 threads must be refused");
            call.Exception!.InnerException.Should().BeAssignableTo<ArgumentOutOfRangeException>()
                .Which.Message.Should().Contain("100000").And.Contain($"{Limit}");
        }
        finally
        {
            VaeRuntime.SetCpuThreads(original);
        }
    }

    private static void FinishesInTime(Task call)
    {
        try
        {
            call.Wait(Patience).Should().BeTrue($"the call must come back within {Patience.TotalSeconds} s");
        }
        catch (AggregateException)
        {
            // The task failed in time: the caller looks at call.Exception.
        }
    }
}
