using Vae.Core.Recommendation;
using static TorchSharp.torch;

namespace Vae.Core.Tests.Recommendation;

public sealed class ClickMatrixTests
{
    // Users 0-3 x items 0-4; user 2 has no clicks; (0, 3) is given twice.
    private static ClickMatrix Sample() => ClickMatrix.FromPairs(4, 5, [0, 1, 0, 3, 0, 1, 3, 0], [3, 4, 1, 0, 3, 0, 2, 4]);

    [Fact]
    public void PairsBecomeSortedDuplicateFreeRows()
    {
        var clicks = Sample();

        clicks.UserCount.Should().Be(4);
        clicks.ItemCount.Should().Be(5);
        clicks.ClickCount.Should().Be(7, "the repeated pair (0, 3) is one click");
        clicks.HasValues.Should().BeFalse();
        clicks.RowPointers.ToArray().Should().Equal(0, 3, 5, 5, 7);
        clicks.ItemIndices.ToArray().Should().Equal(1, 3, 4, 0, 4, 0, 2);
        clicks.ItemsOf(2).ToArray().Should().BeEmpty();
        clicks.CountOf(0).Should().Be(3);
        clicks.Contains(3, 2).Should().BeTrue();
        clicks.Contains(3, 3).Should().BeFalse();
        clicks.UsersPerItem().Should().Equal(2, 1, 1, 1, 2);
    }

    [Fact]
    public void TriplesSumTheValuesOfARepeatedPair()
    {
        var clicks = ClickMatrix.FromTriples(2, 3, [1, 0, 1], [2, 1, 2], [1.5f, 2f, 0.5f]);

        clicks.HasValues.Should().BeTrue();
        clicks.ItemsOf(1).ToArray().Should().Equal(2);
        clicks.ValuesOf(1).Should().Equal(2f);
        clicks.ValuesOf(0).Should().Equal(2f);
    }

    [Fact]
    public void SlicedAndSelectedRowsKeepTheirClicks()
    {
        var clicks = Sample();

        var slice = clicks.SliceRows(1, 2);
        slice.UserCount.Should().Be(2);
        slice.ItemsOf(0).ToArray().Should().Equal(0, 4);
        slice.ItemsOf(1).ToArray().Should().BeEmpty();
        slice.RowPointers.ToArray().Should().Equal(0, 2, 2);

        var batch = clicks.SelectRows([3, 0, 3]);
        batch.UserCount.Should().Be(3);
        batch.ItemsOf(0).ToArray().Should().Equal(0, 2);
        batch.ItemsOf(1).ToArray().Should().Equal(1, 3, 4);
        batch.ItemsOf(2).ToArray().Should().Equal(0, 2);
    }

    [Fact]
    public void DenseBatchHasOnesAtClicksAndNormalisedRowsHaveUnitNorm()
    {
        var clicks = Sample();
        using var scope = NewDisposeScope();

        var dense = clicks.ToDense(1, 3);
        dense.shape.Should().Equal(3, 5);
        dense.dtype.Should().Be(ScalarType.Float32);
        dense.data<float>().ToArray().Should().Equal(
            1, 0, 0, 0, 1,
            0, 0, 0, 0, 0,
            1, 0, 1, 0, 0);

        var normalised = clicks.ToDenseL2Normalized([0, 2]).data<float>().ToArray();
        var third = 1 / MathF.Sqrt(3);
        normalised.Should().Equal(new[] { 0, third, 0, third, third, 0, 0, 0, 0, 0 },
            (a, b) => Math.Abs(a - b) < 1e-7, "a row without clicks stays zero instead of dividing by zero");
    }

    [Fact]
    public void NormalisationUsesTheClickValues()
    {
        var clicks = ClickMatrix.FromTriples(1, 3, [0, 0], [0, 2], [3f, 4f]);
        using var scope = NewDisposeScope();

        clicks.ToDenseL2Normalized(0, 1).data<float>().ToArray().Should().Equal(0.6f, 0f, 0.8f);
    }

    [Fact]
    public void OutOfRangePairsAndRowsAreRefusedWithTheirPosition()
    {
        var act = () => ClickMatrix.FromPairs(2, 3, [0, 2], [1, 1]);
        act.Should().Throw<ArgumentException>().WithMessage("Click 1 has user 2, outside 0-1.*");
        act = () => ClickMatrix.FromPairs(2, 3, [0, 1], [1, 3]);
        act.Should().Throw<ArgumentException>().WithMessage("Click 1 has item 3, outside 0-2.*");
        act = () => ClickMatrix.FromPairs(2, 3, [0, 1], [1]);
        act.Should().Throw<ArgumentException>().WithMessage("1 items were given for 2 users*");
        act = () => ClickMatrix.FromTriples(2, 3, [0], [1], [float.NaN]);
        act.Should().Throw<ArgumentException>().WithMessage("The value of click 0 is NaN*");

        var clicks = Sample();
        clicks.Invoking(c => c.SliceRows(3, 2)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("Rows 3-4 do not lie within this 4-user matrix.*");
        clicks.Invoking(c => c.SelectRows([0, 4])).Should().Throw<ArgumentOutOfRangeException>().WithMessage("User 4 is not a row of this 4-user matrix.*");
        clicks.Invoking(c => c.ToDense([-1])).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void ABatchTooLargeForOneArrayIsRefusedBeforeAllocating()
    {
        var clicks = ClickMatrix.Empty(3, 1_000_000_000);

        clicks.Invoking(c => c.ToDense(0, 3)).Should().Throw<ArgumentException>().WithMessage("*3 users x 1000000000 items*use smaller batches*");
    }
}
