using FluentAssertions;
using Vae.Core.Kernels;
using Xunit;

namespace Vae.Core.Tests;

/// <summary>The transposes between row-major batches and the fused kernels' feature-major layout, against a plain loop.</summary>
public unsafe class FeatureMajorTests
{
    [SkippableTheory]
    [InlineData(400, 3136)]   // the convolutional model's first dense weight: many whole 8 x 8 blocks and 64-column strips
    [InlineData(3136, 400)]
    [InlineData(128, 784)]    // a batch of digits
    [InlineData(8, 8)]        // one block
    [InlineData(7, 9)]        // less than a block of rows, a column past one
    [InlineData(17, 70)]      // partial blocks both ways and a partial strip
    [InlineData(1, 1)]
    [InlineData(9, 130)]
    public void MovesEveryElementToItsTransposedPlace(int rows, int columns)
    {
        // Strides wider than the rows, as for a part of a matrix, and a sentinel in every place not written.
        Transposes(rows, columns, columns + 3, FeatureMajor.RoundUp16(rows) + 16);
        // Strides as tight as the matrix (the weights transposed whole, the codes written back as rows).
        Transposes(rows, columns, columns, FeatureMajor.RoundUp16(rows));
        Transposes(rows, columns, columns, rows);
    }

    private static void Transposes(int rows, int columns, int sourceStride, int destinationStride)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        var source = Enumerable.Range(0, rows * sourceStride).Select(i => (float)i + 0.5f).ToArray();
        foreach (var zeroPadding in new[] { false, true })
        {
            var destination = Enumerable.Repeat(-7f, columns * destinationStride).ToArray();
            fixed (float* from = source, to = destination)
                FeatureMajor.Transpose(from, rows, columns, sourceStride, to, destinationStride, zeroPadding);
            for (var c = 0; c < columns; c++)
                for (var d = 0; d < destinationStride; d++)
                {
                    var expected = d < rows ? source[d * sourceStride + c] : zeroPadding && d < Math.Min(FeatureMajor.RoundUp16(rows), destinationStride) ? 0f : -7f;
                    if (destination[c * destinationStride + d] != expected)
                        destination[c * destinationStride + d].Should().Be(expected, $"column {c}, row {d} of a {rows} x {columns} transpose, strides {sourceStride} and {destinationStride} (zero padding {zeroPadding})");
                }
        }
    }
}
