using FluentAssertions;
using Vae.Core.Kernels;
using Xunit;

namespace Vae.Core.Tests;

/// <summary>The canaries of guarded native arenas, which the test assembly turns on for every arena.</summary>
public unsafe class NativeArenaTests
{
    [Fact]
    public void TheTestsRunWithGuardedArenas()
    {
        NativeArena.Guarded.Should().BeTrue("the test assembly's module initializer turns the guard on");
        using var arena = new NativeArena(100);
        arena.IsGuarded.Should().BeTrue();
    }

    [Fact]
    public void BlocksAreZeroedAlignedAndDisjointAndIntactCanariesPass()
    {
        var arena = new NativeArena(3 * 37 + 16);
        var blocks = new[] { arena.Take(37), arena.Take(37), arena.Take(16), arena.Take(37) };
        foreach (var block in blocks)
        {
            ((nint)block % 64).Should().Be(0, "every block of a guarded arena starts on a cache line");
            new ReadOnlySpan<float>(block, 16).ToArray().Should().OnlyContain(v => v == 0f);
        }
        // Filling every block to its last float is no damage.
        new Span<float>(blocks[0], 37).Fill(1f);
        new Span<float>(blocks[1], 37).Fill(2f);
        new Span<float>(blocks[2], 16).Fill(3f);
        new Span<float>(blocks[3], 37).Fill(4f);
        blocks[0][36].Should().Be(1f);
        blocks[1][0].Should().Be(2f);
        arena.Check();
        arena.Invoking(a => a.Dispose()).Should().NotThrow();
    }

    [Fact]
    public void ItStillRefusesMoreThanItsCapacity()
    {
        using var arena = new NativeArena(100);
        arena.Take(60);
        arena.Invoking(a => a.Take(41)).Should().Throw<InvalidOperationException>().WithMessage("*holds 100 floats*");
    }

    [Theory]
    [InlineData(0)]  // the first float past the block
    [InlineData(5)]  // within the alignment tail
    [InlineData(26)] // the canary's last float
    public void AnOverwrittenCanaryIsReportedWithItsBlock(int past)
    {
        var arena = new NativeArena(3 * 37);
        arena.Take(37);
        var second = arena.Take(37);
        arena.Take(37);
        arena.Check();

        second[37 + past] = 0.5f;

        arena.Invoking(a => a.Check()).Should().Throw<InvalidOperationException>()
            .WithMessage($"*block 2 (37 floats, taken at NativeArenaTests.cs:*)*float {past} past*");
        // Freeing still frees, and reports the damage too.
        arena.Invoking(a => a.Dispose()).Should().Throw<InvalidOperationException>().WithMessage("*block 2*");
        arena.Invoking(a => a.Dispose()).Should().NotThrow("the memory was freed by the first call");
    }

    [Fact]
    public void AnUnguardedArenaHasNoCanaries()
    {
        using var arena = new NativeArena(64, guard: false);
        arena.IsGuarded.Should().BeFalse();
        arena.Allocated.Should().Be(64);
        var first = arena.Take(32);
        (arena.Take(32) - first).Should().Be(32);
        arena.Check();
    }
}
