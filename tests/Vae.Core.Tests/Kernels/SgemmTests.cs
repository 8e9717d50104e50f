using FluentAssertions;
using Vae.Core.Kernels;
using Xunit;

namespace Vae.Core.Tests;

/// <summary>The matrix kernels, AVX-512 and AVX2, against products worked in double precision.</summary>
public unsafe class SgemmTests
{
    [SkippableTheory]
    [InlineData(400, 128, 784, false, false)] // a forward product of the default model
    [InlineData(784, 128, 400, true, false)]  // an input gradient: the weight read transposed
    [InlineData(400, 784, 100, false, false)] // a weight gradient over a partial batch
    [InlineData(13, 77, 50, true, true)]      // odd sizes: partial tiles, a partial vector and scalar columns
    [InlineData(5, 3, 7, false, true)]        // smaller than one tile
    [InlineData(1, 16, 1, false, false)]
    [InlineData(12, 24, 9, true, false)]      // AVX2: one 16-wide tile and one 8-wide remainder
    public void MatchesTheProductInDoublePrecision(int m, int n, int k, bool transposedA, bool accumulate)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        var random = new Random(m * 31 + n * 7 + k);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var a = Random(m * k);
        var b = Random(k * n);
        var c = Random(m * n);
        var before = (float[])c.Clone();
        nint rowStride = transposedA ? 1 : k, columnStride = transposedA ? m : 1;
        var instructionSets = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? new[] { true, false } : [false];
        foreach (var avx512 in instructionSets)
        foreach (var threads in new[] { 1, 2 })
        {
            Array.Copy(before, c, c.Length);
            fixed (float* pa = a, pb = b, pc = c)
                Sgemm.Multiply(m, n, k, pa, rowStride, columnStride, pb, n, pc, n, accumulate, threads, avx512);
            for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double expected = accumulate ? before[i * n + j] : 0;
                for (var p = 0; p < k; p++) expected += (double)a[i * rowStride + p * columnStride] * b[p * n + j];
                c[i * n + j].Should().BeApproximately((float)expected, 1e-5f * (1 + k / 100f), $"C[{i}, {j}] with {threads} thread(s), AVX-512 {avx512}");
            }
        }
    }
}
