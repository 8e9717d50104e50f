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
    [InlineData(64, 128, 512, false, true)]   // 64 output channels: four rows past the last tile of six
    [InlineData(20, 130, 33, true, true)]     // a head of 20 rows; columns past the last tile too
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

    // Rows past the last whole tile of six go through the tile kernel on a copy: each must carry the bits the same row
    // gets inside a whole tile, as it did when they were summed one row at a time.
    [SkippableTheory]
    [InlineData(10, 128, 400, false)]
    [InlineData(7, 200, 64, true)]
    [InlineData(3, 64, 5, false)]
    public void RowsPastTheLastTileGiveTheBitsOfAWholeTile(int m, int n, int k, bool accumulate)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        var whole = (m + 5) / 6 * 6;
        var random = new Random(m + n + k);
        var a = Enumerable.Range(0, whole * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var start = Enumerable.Range(0, whole * n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var instructionSets = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? new[] { true, false } : [false];
        foreach (var avx512 in instructionSets)
        {
            var tiled = (float[])start.Clone();
            var partial = (float[])start.Clone();
            fixed (float* pa = a, pb = b, pTiled = tiled, pPartial = partial)
            {
                Sgemm.Multiply(whole, n, k, pa, k, 1, pb, n, pTiled, n, accumulate, threads: 1, avx512);
                Sgemm.Multiply(m, n, k, pa, k, 1, pb, n, pPartial, n, accumulate, threads: 1, avx512);
            }
            partial.Take(m * n).Should().Equal(tiled.Take(m * n), $"{m} rows against {whole}, AVX-512 {avx512}");
            partial.Skip(m * n).Should().Equal(start.Skip(m * n), "rows past m are not written");
        }
    }
}
