using System.Runtime.InteropServices;

namespace Vae.Core.Kernels;

/// <summary>
/// One zeroed, 64-byte-aligned native block that the fused kernels carve their buffers from, freed at once: the
/// buffers live outside the GC heap and are reused by every step.
/// </summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private readonly long capacity;
    private float* memory;
    private long used;

    public NativeArena(long floats)
    {
        capacity = floats;
        memory = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        NativeMemory.Clear(memory, (nuint)(floats * sizeof(float)));
    }

    /// <summary>The next <paramref name="floats"/> values of the block.</summary>
    public float* Take(long floats)
    {
        if (memory is null) throw new ObjectDisposedException(nameof(NativeArena));
        if (used + floats > capacity) throw new InvalidOperationException($"the arena holds {capacity} floats; {used} are taken and {floats} more were asked for");
        var start = memory + used;
        used += floats;
        return start;
    }

    public void Dispose()
    {
        if (memory is null) return;
        NativeMemory.AlignedFree(memory);
        memory = null;
    }
}
