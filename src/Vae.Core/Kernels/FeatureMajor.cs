using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.Core.Kernels;

/// <summary>
/// Moves between row-major batches (<c>[batch, features]</c>) and the feature-major layout of the fused kernels
/// (<c>[features, columns]</c>, columns padded to a multiple of 16).
/// </summary>
internal static unsafe class FeatureMajor
{
    public static int RoundUp16(int value) => (value + 15) / 16 * 16;

    // destination[c * destinationStride + r] = source[r * sourceStride + c] for r < rowCount, c < columnCount: blocks of
    // 8 x 8 transposed in registers (eight row loads, three rounds of shuffles, eight stores), in strips of 64 columns so
    // that the destination rows a strip writes stay in cache while the next eight source rows fill them. Gathers, one
    // per column, ran at 4-18 GB/s on the weight matrices here. Unless told not to, it zeroes the destination columns
    // from rowCount up to a multiple of 16 (a caller transposing part of a matrix must not: they are another part's).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* source, int rowCount, int columnCount, nint sourceStride, float* destination, nint destinationStride, bool zeroPadding = true)
    {
        var fullRows = rowCount / 8 * 8;
        var fullColumns = columnCount / 8 * 8;
        for (var strip = 0; strip < fullColumns; strip += StripColumns)
        {
            var stripEnd = Math.Min(fullColumns, strip + StripColumns);
            for (var r0 = 0; r0 < fullRows; r0 += 8)
                for (var c0 = strip; c0 < stripEnd; c0 += 8)
                    Block8(source + r0 * sourceStride + c0, sourceStride, destination + c0 * destinationStride + r0, destinationStride);
        }
        // The columns past the last block of eight, then the rows past it.
        for (var r = 0; r < fullRows; r++)
        {
            var from = source + r * sourceStride;
            for (var c = fullColumns; c < columnCount; c++) destination[c * destinationStride + r] = from[c];
        }
        for (var r = fullRows; r < rowCount; r++)
        {
            var from = source + r * sourceStride;
            for (var c = 0; c < columnCount; c++) destination[c * destinationStride + r] = from[c];
        }
        var paddedRows = Math.Min(RoundUp16(rowCount), (int)destinationStride);
        if (zeroPadding && paddedRows > rowCount)
            for (var c = 0; c < columnCount; c++) new Span<float>(destination + c * destinationStride + rowCount, paddedRows - rowCount).Clear();
    }

    private const int StripColumns = 64;

    // to[c * toStride + r] = from[r * fromStride + c] for r, c < 8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(float* from, nint fromStride, float* to, nint toStride)
    {
        var r0 = Avx.LoadVector256(from);
        var r1 = Avx.LoadVector256(from + fromStride);
        var r2 = Avx.LoadVector256(from + 2 * fromStride);
        var r3 = Avx.LoadVector256(from + 3 * fromStride);
        var r4 = Avx.LoadVector256(from + 4 * fromStride);
        var r5 = Avx.LoadVector256(from + 5 * fromStride);
        var r6 = Avx.LoadVector256(from + 6 * fromStride);
        var r7 = Avx.LoadVector256(from + 7 * fromStride);
        // Pairs of rows interleaved, then pairs of pairs, within each 128-bit half.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // The low halves hold columns 0-3 of rows 0-3 and 4-7, the high halves columns 4-7.
        Avx.Permute2x128(u0, u4, 0x20).Store(to);
        Avx.Permute2x128(u1, u5, 0x20).Store(to + toStride);
        Avx.Permute2x128(u2, u6, 0x20).Store(to + 2 * toStride);
        Avx.Permute2x128(u3, u7, 0x20).Store(to + 3 * toStride);
        Avx.Permute2x128(u0, u4, 0x31).Store(to + 4 * toStride);
        Avx.Permute2x128(u1, u5, 0x31).Store(to + 5 * toStride);
        Avx.Permute2x128(u2, u6, 0x31).Store(to + 6 * toStride);
        Avx.Permute2x128(u3, u7, 0x31).Store(to + 7 * toStride);
    }

    /// <summary>Zeroes columns <paramref name="columns"/> .. <paramref name="padded"/> - 1 of every feature row.</summary>
    public static void ClearPadding(float* matrix, int featureRows, int columns, int padded)
    {
        if (columns == padded) return;
        for (var f = 0; f < featureRows; f++) new Span<float>(matrix + (nint)f * padded + columns, padded - columns).Clear();
    }
}
