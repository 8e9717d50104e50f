using Vae.Core.Recommendation;

namespace Vae.Core.Tests.Recommendation;

public sealed class RankingMetricsTests
{
    private static double D(int rank) => 1 / Math.Log2(rank + 1);

    [Fact]
    public void TopItemsRanksByScoreThenByLowerIndexAndPutsExcludedItemsLast()
    {
        float[] scores = [0.5f, 0.9f, 0.5f, 0.9f, 0.1f, 2f];

        RankingMetrics.TopItems(scores, 4, [5]).Should().Equal(1, 3, 0, 2);
        RankingMetrics.TopItems(scores, 10, [5, 1]).Should().Equal(new[] { 3, 0, 2, 4, 1, 5 },
            "with k beyond the items, excluded items come last (scored -inf) and among themselves by index");
        RankingMetrics.TopItems(scores, 1, []).Should().Equal(5);
    }

    [Fact]
    public void NdcgMatchesAHandComputation()
    {
        int[] ranked = [7, 2, 9, 4, 1];

        // Held-out {2, 4, 8}: hits at ranks 2 and 4. IDCG over min(5, 3) = 3 positions.
        RankingMetrics.NdcgAtK(ranked, [8, 4, 2], 5).Should().BeApproximately((D(2) + D(4)) / (D(1) + D(2) + D(3)), 1e-12);
        // At k = 3 only the hit at rank 2 counts, and the ideal is still 3 positions.
        RankingMetrics.NdcgAtK(ranked, [8, 4, 2], 3).Should().BeApproximately(D(2) / (D(1) + D(2) + D(3)), 1e-12);
        // (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3) + 1/2) = (0.6309298 + 0.4306766) / 2.1309298
        RankingMetrics.NdcgAtK(ranked, [8, 4, 2], 5).Should().BeApproximately(0.498190, 1e-6);
    }

    [Fact]
    public void FewerHeldOutItemsThanKNormaliseByTheirCount()
    {
        int[] ranked = [3, 5, 0, 1, 2, 4];

        RankingMetrics.NdcgAtK(ranked, [3], 100).Should().Be(1.0, "one held-out item at the top is a perfect ranking");
        RankingMetrics.NdcgAtK(ranked, [5], 100).Should().BeApproximately(D(2), 1e-12);
        RankingMetrics.RecallAtK(ranked, [5, 4], 100).Should().Be(1.0, "recall divides by min(k, 2) = 2");
        RankingMetrics.RecallAtK(ranked, [5, 4], 2).Should().Be(0.5);
        RankingMetrics.RecallAtK(ranked, [5, 4, 9], 1).Should().Be(0.0);
        RankingMetrics.RecallAtK(ranked, [3, 4, 9], 1).Should().Be(1.0, "recall divides by min(k, 3) = 1, not by 3");
    }

    [Fact]
    public void TiesAreBrokenByItemIndexSoMetricsAreDeterministic()
    {
        float[] scores = [1f, 1f, 1f, 1f];

        var ranked = RankingMetrics.TopItems(scores, 2, []);

        ranked.Should().Equal(0, 1);
        RankingMetrics.RecallAtK(ranked, [2, 3], 2).Should().Be(0);
        RankingMetrics.NdcgAtK(ranked, [1], 2).Should().BeApproximately(D(2), 1e-12);
    }

    [Fact]
    public void UndefinedOrInvalidInputsAreRefused()
    {
        var act = () => RankingMetrics.NdcgAtK([1, 2], [], 10);
        act.Should().Throw<ArgumentException>().WithMessage("There are no held-out items*");
        act = () => RankingMetrics.RecallAtK([1, 2], [2, 2], 10);
        act.Should().Throw<ArgumentException>().WithMessage("Held-out item 2 is listed twice*");
        act = () => RankingMetrics.RecallAtK([1, 2], [2], 0);
        act.Should().Throw<ArgumentOutOfRangeException>();
        var top = () => RankingMetrics.TopItems([1f, float.NaN], 1, []);
        top.Should().Throw<ArgumentException>().WithMessage("The score of item 1 is NaN*");
        top = () => RankingMetrics.TopItems([1f, 2f], 1, [2]);
        top.Should().Throw<ArgumentOutOfRangeException>().WithMessage("Excluded item 2 is outside 0-1*");
    }

    [Fact]
    public void TopItemsAgreesWithAFullSortOnRandomScores()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 50; trial++)
        {
            // Coarse scores make ties common.
            var scores = Enumerable.Range(0, 200).Select(_ => (float)random.Next(20)).ToArray();
            var excluded = Enumerable.Range(0, 200).Where(_ => random.Next(10) == 0).ToArray();
            var expected = Enumerable.Range(0, 200)
                .OrderByDescending(i => excluded.Contains(i) ? float.NegativeInfinity : scores[i]).ThenBy(i => i).Take(37).ToArray();

            RankingMetrics.TopItems(scores, 37, excluded).Should().Equal(expected);
        }
    }
}
