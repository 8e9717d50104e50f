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

    // destination[c * destinationStride + r] = source[r * sourceStride + c] for r < rowCount, c < columnCount: eight
    // source rows at a time, one gather per column. Unless told not to, it zeroes the destination columns from rowCount
    // up to a multiple of 16 (a caller transposing part of a matrix must not: they are another part's).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(float* source, int rowCount, int columnCount, nint sourceStride, float* destination, nint destinationStride, bool zeroPadding = true)
    {
        var offsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (int)sourceStride;
        var r0 = 0;
        for (; r0 + 8 <= rowCount; r0 += 8)
        {
            var from = source + r0 * sourceStride;
            var to = destination + r0;
            for (var c = 0; c < columnCount; c++)
                Avx2.GatherVector256(from + c, offsets, sizeof(float)).Store(to + c * destinationStride);
        }
        for (var r = r0; r < rowCount; r++)
        {
            var from = source + r * sourceStride;
            for (var c = 0; c < columnCount; c++) destination[c * destinationStride + r] = from[c];
        }
        var paddedRows = Math.Min(RoundUp16(rowCount), (int)destinationStride);
        if (zeroPadding && paddedRows > rowCount)
            for (var c = 0; c < columnCount; c++) new Span<float>(destination + c * destinationStride + rowCount, paddedRows - rowCount).Clear();
    }

    /// <summary>Zeroes columns <paramref name="columns"/> .. <paramref name="padded"/> - 1 of every feature row.</summary>
    public static void ClearPadding(float* matrix, int featureRows, int columns, int padded)
    {
        if (columns == padded) return;
        for (var f = 0; f < featureRows; f++) new Span<float>(matrix + (nint)f * padded + columns, padded - columns).Clear();
    }
}
