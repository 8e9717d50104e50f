using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Core.Kernels;

/// <summary>
/// Single-precision matrix products for the fused CPU kernels: AVX-512 where the processor has it, else AVX2 with FMA.
/// </summary>
/// <remarks>
/// libtorch 2.10's CPU build multiplies through MKL, which on AMD processors runs its AVX2 code even where AVX-512 is
/// present: measured here (AMD EPYC, family 26), a 128 x 784 x 400 product ran at ~85 GFLOP/s on one thread and ~140 on
/// two, against ~185-200 and ~290-350 for the AVX-512 kernel. The layouts are those the fused kernels need, so nothing
/// is packed: B is row-major and read a panel of columns at a time, A is read one element per row and step of k with
/// any strides, which covers both a weight matrix and its transpose. Each element of C is summed over k in order on
/// one thread, so results do not depend on the thread count.
/// </remarks>
internal static unsafe class Sgemm
{
    private const int RowsPerTile = 6;

    // The full tile and its width per instruction set; columns past the last full tile, and rows past the last six, take
    // the AVX2 kernels on either (a small share of the work).
    private static readonly Kernels Wide = new(&Tile512, 64);
    private static readonly Kernels Narrow = new(&Tile256, 16);
    private const int VectorWidth = 8;

    /// <summary>Whether this processor runs these kernels (AVX-512, or AVX2 with FMA).</summary>
    public static bool IsSupported => Avx512F.IsSupported || (Avx2.IsSupported && Fma.IsSupported);

    /// <summary>Whether the AVX-512 kernels run (when true and supported); the benchmarks turn it off to measure AVX2.</summary>
    internal static bool PreferAvx512 { get; set; } = true;

    /// <summary>
    /// C[m, n] = (accumulate ? C : 0) + sum over k of A(i, k) B(k, j), with A(i, k) = a[i * aRowStride + k * aColumnStride],
    /// B row-major with row stride <paramref name="ldb"/> and C row-major with row stride <paramref name="ldc"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(
        int m, int n, int k, float* a, nint aRowStride, nint aColumnStride, float* b, nint ldb, float* c, nint ldc,
        bool accumulate, int threads, bool? avx512 = null)
    {
        if (m == 0 || n == 0) return;
        var kernels = (avx512 ?? PreferAvx512) && Avx512F.IsSupported ? Wide : Narrow;
        if (threads <= 1 || m < 2 * RowsPerTile || (long)m * n * k < 1 << 18)
        {
            Rows(kernels, 0, m, n, k, a, aRowStride, aColumnStride, b, ldb, c, ldc, accumulate);
            return;
        }
        // Whole tiles per part, several parts per thread (claimed by whichever thread is free); rows never straddle
        // parts, so neither the thread count nor the thread that ran a part changes any sum.
        var tiles = (m + RowsPerTile - 1) / RowsPerTile;
        var parts = KernelThreads.PartsFor(tiles, threads);
        var (pa, pb, pc) = ((nint)a, (nint)b, (nint)c);
        KernelThreads.Run(parts, threads, part =>
        {
            var first = tiles * part / parts * RowsPerTile;
            var last = Math.Min(m, tiles * (part + 1) / parts * RowsPerTile);
            Rows(kernels, first, last, n, k, (float*)pa, aRowStride, aColumnStride, (float*)pb, ldb, (float*)pc, ldc, accumulate);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(Kernels kernels, int first, int last, int n, int k, float* a, nint aRowStride, nint aColumnStride, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        var fullTiles = n / kernels.TileColumns * kernels.TileColumns;
        var vectorColumns = n / VectorWidth * VectorWidth;
        var tileRows = first + (last - first) / RowsPerTile * RowsPerTile;
        // Column panel outermost: a panel of B is read by every row tile while it is in cache.
        for (var j = 0; j < fullTiles; j += kernels.TileColumns)
            for (var i = first; i < tileRows; i += RowsPerTile)
                kernels.Tile(k, a + i * aRowStride, aRowStride, aColumnStride, b + j, ldb, c + i * ldc + j, ldc, accumulate);
        // Columns past the last whole panel, one vector at a time but still six rows at once: six independent sums.
        for (var j = fullTiles; j < vectorColumns; j += VectorWidth)
            for (var i = first; i < tileRows; i += RowsPerTile)
                NarrowTile256(k, a + i * aRowStride, aRowStride, aColumnStride, b + j, ldb, c + i * ldc + j, ldc, accumulate);
        var firstVectorColumn = 0;
        if (tileRows < last && fullTiles > 0)
        {
            RemainderRows(kernels, tileRows, last - tileRows, fullTiles, k, a, aRowStride, aColumnStride, b, ldb, c, ldc, accumulate);
            firstVectorColumn = fullTiles;
        }
        for (var i = tileRows; i < last; i++)
            RowVectors256(k, a + i * aRowStride, aColumnStride, b + firstVectorColumn, ldb, c + i * ldc + firstVectorColumn, (vectorColumns - firstVectorColumn) / VectorWidth, accumulate);
        for (var i = first; i < last; i++)
        {
            for (var j = vectorColumns; j < n; j++)
            {
                var sum = 0f;
                var row = a + i * aRowStride;
                for (var p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(row[p * aColumnStride], b[p * ldb + j], sum);
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
            }
        }
    }

    // The 1-5 rows past the last whole tile, over the whole tiles' columns: copied into a tile of six rows (the rest
    // zero) and multiplied by the full kernel into a scratch tile, of which those rows are kept. One row at a time they
    // would take the one-accumulator kernel, whose chain of dependent multiply-adds ran at an eighth of the tile's rate:
    // for 64 output channels (4 rows past 60) that made the rows past the tiles half again the time of the rest. Each
    // kept sum is the one a whole tile computes (the same products added in the same order), so no bit changes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RemainderRows(Kernels kernels, int first, int rows, int fullTiles, int k, float* a, nint aRowStride, nint aColumnStride, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        var tileColumns = kernels.TileColumns;
        var packed = (float*)NativeMemory.AllocZeroed((nuint)(RowsPerTile * Math.Max(1, k)), sizeof(float));
        var scratch = stackalloc float[RowsPerTile * 64];
        try
        {
            for (var r = 0; r < rows; r++)
            {
                var row = a + (first + r) * aRowStride;
                for (var p = 0; p < k; p++) packed[(r * k) + p] = row[p * aColumnStride];
            }
            for (var j = 0; j < fullTiles; j += tileColumns)
            {
                kernels.Tile(k, packed, k, 1, b + j, ldb, scratch, tileColumns, false);
                for (var r = 0; r < rows; r++)
                {
                    var target = new Span<float>(c + ((first + r) * ldc) + j, tileColumns);
                    var sums = new ReadOnlySpan<float>(scratch + (r * tileColumns), tileColumns);
                    if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(target, sums, target);
                    else sums.CopyTo(target);
                }
            }
        }
        finally
        {
            NativeMemory.Free(packed);
        }
    }

    // AVX-512: 6 rows x 64 columns: 24 accumulators, 4 loads of B and 6 broadcasts of A per step of k, within AVX-512's 32 registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(int k, float* a, nint aRowStride, nint aColumnStride, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        float* a0 = a, a1 = a + aRowStride, a2 = a + 2 * aRowStride, a3 = a + 3 * aRowStride, a4 = a + 4 * aRowStride, a5 = a + 5 * aRowStride;
        for (var p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var b2 = Vector512.Load(b + 32);
            var b3 = Vector512.Load(b + 48);
            var x = Vector512.Create(*a0);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            c02 = Avx512F.FusedMultiplyAdd(x, b2, c02); c03 = Avx512F.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(*a1);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            c12 = Avx512F.FusedMultiplyAdd(x, b2, c12); c13 = Avx512F.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(*a2);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            c22 = Avx512F.FusedMultiplyAdd(x, b2, c22); c23 = Avx512F.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(*a3);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            c32 = Avx512F.FusedMultiplyAdd(x, b2, c32); c33 = Avx512F.FusedMultiplyAdd(x, b3, c33);
            x = Vector512.Create(*a4);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            c42 = Avx512F.FusedMultiplyAdd(x, b2, c42); c43 = Avx512F.FusedMultiplyAdd(x, b3, c43);
            x = Vector512.Create(*a5);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            c52 = Avx512F.FusedMultiplyAdd(x, b2, c52); c53 = Avx512F.FusedMultiplyAdd(x, b3, c53);
            a0 += aColumnStride; a1 += aColumnStride; a2 += aColumnStride; a3 += aColumnStride; a4 += aColumnStride; a5 += aColumnStride;
            b += ldb;
        }
        StoreRow(c, accumulate, c00, c01, c02, c03);
        StoreRow(c + ldc, accumulate, c10, c11, c12, c13);
        StoreRow(c + 2 * ldc, accumulate, c20, c21, c22, c23);
        StoreRow(c + 3 * ldc, accumulate, c30, c31, c32, c33);
        StoreRow(c + 4 * ldc, accumulate, c40, c41, c42, c43);
        StoreRow(c + 5 * ldc, accumulate, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, bool accumulate, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
            v2 += Vector512.Load(c + 32);
            v3 += Vector512.Load(c + 48);
        }
        v0.Store(c);
        v1.Store(c + 16);
        v2.Store(c + 32);
        v3.Store(c + 48);
    }

    // AVX2: 6 rows x 16 columns, 12 accumulators, 2 loads of B and 6 broadcasts of A per step of k, within 16 registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256(int k, float* a, nint aRowStride, nint aColumnStride, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + aRowStride, a2 = a + 2 * aRowStride, a3 = a + 3 * aRowStride, a4 = a + 4 * aRowStride, a5 = a + 5 * aRowStride;
        for (var p = 0; p < k; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(*a0);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(*a1);
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(*a2);
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(*a3);
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(*a4);
            c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(*a5);
            c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            a0 += aColumnStride; a1 += aColumnStride; a2 += aColumnStride; a3 += aColumnStride; a4 += aColumnStride; a5 += aColumnStride;
            b += ldb;
        }
        Store(c, accumulate, c00); Store(c + 8, accumulate, c01);
        Store(c + ldc, accumulate, c10); Store(c + ldc + 8, accumulate, c11);
        Store(c + 2 * ldc, accumulate, c20); Store(c + 2 * ldc + 8, accumulate, c21);
        Store(c + 3 * ldc, accumulate, c30); Store(c + 3 * ldc + 8, accumulate, c31);
        Store(c + 4 * ldc, accumulate, c40); Store(c + 4 * ldc + 8, accumulate, c41);
        Store(c + 5 * ldc, accumulate, c50); Store(c + 5 * ldc + 8, accumulate, c51);
    }

    // AVX2: 6 rows x 8 columns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowTile256(int k, float* a, nint aRowStride, nint aColumnStride, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        float* a0 = a, a1 = a + aRowStride, a2 = a + 2 * aRowStride, a3 = a + 3 * aRowStride, a4 = a + 4 * aRowStride, a5 = a + 5 * aRowStride;
        for (var p = 0; p < k; p++)
        {
            var bv = Vector256.Load(b);
            c0 = Fma.MultiplyAdd(Vector256.Create(*a0), bv, c0);
            c1 = Fma.MultiplyAdd(Vector256.Create(*a1), bv, c1);
            c2 = Fma.MultiplyAdd(Vector256.Create(*a2), bv, c2);
            c3 = Fma.MultiplyAdd(Vector256.Create(*a3), bv, c3);
            c4 = Fma.MultiplyAdd(Vector256.Create(*a4), bv, c4);
            c5 = Fma.MultiplyAdd(Vector256.Create(*a5), bv, c5);
            a0 += aColumnStride; a1 += aColumnStride; a2 += aColumnStride; a3 += aColumnStride; a4 += aColumnStride; a5 += aColumnStride;
            b += ldb;
        }
        Store(c, accumulate, c0);
        Store(c + ldc, accumulate, c1);
        Store(c + 2 * ldc, accumulate, c2);
        Store(c + 3 * ldc, accumulate, c3);
        Store(c + 4 * ldc, accumulate, c4);
        Store(c + 5 * ldc, accumulate, c5);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowVectors256(int k, float* a, nint aColumnStride, float* b, nint ldb, float* c, int vectors, bool accumulate)
    {
        for (var v = 0; v < vectors; v++)
        {
            var sum = Vector256<float>.Zero;
            var ap = a;
            var bp = b + v * 8;
            for (var p = 0; p < k; p++)
            {
                sum = Fma.MultiplyAdd(Vector256.Create(*ap), Vector256.Load(bp), sum);
                ap += aColumnStride;
                bp += ldb;
            }
            Store(c + v * 8, accumulate, sum);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, bool accumulate, Vector256<float> value) => (accumulate ? value + Vector256.Load(c) : value).Store(c);

    /// <summary>One instruction set's full tile (6 rows x TileColumns).</summary>
    private readonly struct Kernels(delegate*<int, float*, nint, nint, float*, nint, float*, nint, bool, void> tile, int tileColumns)
    {
        public delegate*<int, float*, nint, nint, float*, nint, float*, nint, bool, void> Tile { get; } = tile;
        public int TileColumns { get; } = tileColumns;
    }
}
