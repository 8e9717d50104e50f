using System.Runtime.CompilerServices;
using Vae.Core.Kernels;

namespace Vae.Core.Tests;

internal static class GuardedArenas
{
    // Every native arena the tests create has canaries after its blocks, checked after each fused step and when it
    // is freed: a kernel writing past a buffer fails its test with the block's name rather than corrupting the heap.
    [ModuleInitializer]
    internal static void Apply() => NativeArena.Guarded = true;
}
