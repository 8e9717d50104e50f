using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vae.Core.Kernels;

/// <summary>
/// One zeroed, 64-byte-aligned native block that the fused kernels carve their buffers from, freed at once: the
/// buffers live outside the GC heap and are reused by every step.
/// </summary>
/// <remarks>
/// With <see cref="Guarded"/> on (the tests turn it on; <c>VAE_ARENA_GUARD=1</c> does too) every block is followed by
/// a canary of 64 bytes, checked by <see cref="Check"/> and when the arena is freed: a kernel that writes past the end
/// of one of its buffers, or a helper thread still writing into a buffer, is then reported with the block it damaged
/// instead of corrupting a neighbouring buffer or the native heap in silence.
/// </remarks>
internal sealed unsafe class NativeArena : IDisposable
{
    /// <summary>Floats of the canary after each block in a guarded arena: 64 bytes, which keeps the next block's alignment.</summary>
    public const int CanaryFloats = 16;

    // A signalling-NaN bit pattern no kernel computes: a stray write of any float value changes it.
    private const uint CanaryBits = 0x7FA5_C3E1;

    // Blocks a guarded arena has room to follow with a canary (each block may also lose up to 15 floats to alignment).
    private const int MaxGuardedBlocks = 256;

    private static bool guarded = Environment.GetEnvironmentVariable("VAE_ARENA_GUARD") is "1" or "true";

    private readonly long capacity;
    private readonly List<Block>? blocks;
    private float* memory;
    private long used;

    public NativeArena(long floats)
        : this(floats, Guarded)
    {
    }

    /// <summary>An arena of <paramref name="floats"/> floats, with canaries or without whatever <see cref="Guarded"/> says.</summary>
    internal NativeArena(long floats, bool guard)
    {
        capacity = floats;
        if (guard)
        {
            // The canaries come on top of what the caller asked for, so that a guarded arena holds the same buffers.
            blocks = [];
            floats = checked(floats + MaxGuardedBlocks * (15 + CanaryFloats));
        }
        Allocated = floats;
        memory = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        NativeMemory.Clear(memory, (nuint)(floats * sizeof(float)));
    }

    /// <summary>
    /// Whether arenas created from now on put a canary after every block and check them when freed; read from the
    /// environment variable <c>VAE_ARENA_GUARD</c> (1 or true) at start-up.
    /// </summary>
    public static bool Guarded
    {
        get => Volatile.Read(ref guarded);
        set => Volatile.Write(ref guarded, value);
    }

    /// <summary>Whether this arena has canaries.</summary>
    public bool IsGuarded => blocks is not null;

    /// <summary>The floats allocated, canaries included.</summary>
    internal long Allocated { get; }

    /// <summary>The next <paramref name="floats"/> values of the block.</summary>
    /// <param name="floats">The block's length.</param>
    /// <param name="file">The caller's source file, to name the block in a report of a damaged canary.</param>
    /// <param name="line">The caller's line.</param>
    public float* Take(long floats, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (memory is null) throw new ObjectDisposedException(nameof(NativeArena));
        if (blocks is null)
        {
            if (used + floats > capacity) throw new InvalidOperationException($"the arena holds {capacity} floats; {used} are taken and {floats} more were asked for");
            var start = memory + used;
            used += floats;
            return start;
        }
        var requested = blocks.Sum(b => b.Floats);
        if (requested + floats > capacity) throw new InvalidOperationException($"the arena holds {capacity} floats; {requested} are taken and {floats} more were asked for");
        // Each block starts on a 64-byte line, as the canaries are 64 bytes; the unaligned tail is canary too.
        var offset = used;
        var end = offset + floats;
        var canaryEnd = (end + 15) / 16 * 16 + CanaryFloats;
        if (canaryEnd > Allocated) throw new InvalidOperationException($"a guarded arena has room for the canaries of {MaxGuardedBlocks} blocks; block {blocks.Count + 1} was asked for");
        for (var i = end; i < canaryEnd; i++) ((uint*)memory)[i] = CanaryBits;
        blocks.Add(new Block(offset, floats, canaryEnd, $"block {blocks.Count + 1} ({floats} floats, taken at {Path.GetFileName(file)}:{line})"));
        used = canaryEnd;
        return memory + offset;
    }

    /// <summary>Throws when a canary of a guarded arena was overwritten; does nothing for an unguarded one.</summary>
    /// <exception cref="InvalidOperationException">A canary was overwritten; the message names the block before it.</exception>
    public void Check()
    {
        if (blocks is null || memory is null) return;
        var damage = Damage();
        if (damage is not null) throw new InvalidOperationException(damage);
    }

    public void Dispose()
    {
        if (memory is null) return;
        var damage = blocks is null ? null : Damage();
        NativeMemory.AlignedFree(memory);
        memory = null;
        if (damage is not null) throw new InvalidOperationException(damage);
    }

    private string? Damage()
    {
        foreach (var block in blocks!)
        {
            var end = block.Offset + block.Floats;
            for (var i = end; i < block.CanaryEnd; i++)
            {
                if (((uint*)memory)[i] != CanaryBits)
                    return $"The canary after {block.Name} of a native arena was overwritten at float {i - end} past the block's end (0x{((uint*)memory)[i]:X8}): a kernel wrote past that buffer, or into it after it was released.";
            }
        }
        return null;
    }

    private readonly record struct Block(long Offset, long Floats, long CanaryEnd, string Name);
}
