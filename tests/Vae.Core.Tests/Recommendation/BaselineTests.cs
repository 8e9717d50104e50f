using TorchSharp;
using Vae.Core.Recommendation;
using static TorchSharp.torch;

namespace Vae.Core.Tests.Recommendation;

public sealed class BaselineTests
{
    [Fact]
    public void EaseOnTwoItemsMatchesAHandComputation()
    {
        // X = [[1,1],[1,0],[0,1],[1,1]]: XᵀX + I = [[4,2],[2,4]], P = [[4,-2],[-2,4]] / 12, B01 = -P01 / P11 = 0.5.
        var train = ClickMatrix.FromPairs(4, 2, [0, 0, 1, 2, 3, 3], [0, 1, 0, 1, 0, 1]);

        using var ease = EaseRecommender.Fit(train, lambda: 1.0);

        ease.Weights.dtype.Should().Be(ScalarType.Float64);
        ease.Weights.data<double>().ToArray().Should().Equal(new[] { 0, 0.5, 0.5, 0 }, (a, b) => Math.Abs(a - b) < 1e-12);
        using var scores = ease.Score(train, 1, 2);
        scores.data<float>().ToArray().Should().Equal(0f, 0.5f, 0.5f, 0f);
    }

    [Fact]
    public void EaseColumnsAreTheRidgeRegressionsOfEachItemOnTheOthers()
    {
        // Steck's closed form equals, column by column, ridge regression of item j on all other items:
        // (X₋ⱼᵀX₋ⱼ + λI) b = X₋ⱼᵀxⱼ. Solved here in float64 without libtorch as an independent check.
        var random = new Random(11);
        var (users, items) = (new List<int>(), new List<int>());
        for (var u = 0; u < 40; u++)
        {
            for (var i = 0; i < 6; i++)
            {
                if (random.NextDouble() < 0.3 + 0.1 * (i % 3))
                {
                    users.Add(u);
                    items.Add(i);
                }
            }
        }
        var train = ClickMatrix.FromPairs(40, 6, users.ToArray(), items.ToArray());
        const double lambda = 3.0;

        using var ease = EaseRecommender.Fit(train, lambda);

        var weights = ease.Weights.data<double>().ToArray();
        var x = new double[40, 6];
        for (var u = 0; u < 40; u++)
            foreach (var i in train.ItemsOf(u))
                x[u, i] = 1;
        for (var j = 0; j < 6; j++)
        {
            var others = Enumerable.Range(0, 6).Where(i => i != j).ToArray();
            var a = new double[5, 5];
            var b = new double[5];
            for (var r = 0; r < 5; r++)
            {
                for (var c = 0; c < 5; c++)
                    a[r, c] = Enumerable.Range(0, 40).Sum(u => x[u, others[r]] * x[u, others[c]]) + (r == c ? lambda : 0);
                b[r] = Enumerable.Range(0, 40).Sum(u => x[u, others[r]] * x[u, j]);
            }
            var solution = Solve(a, b);
            weights[j * 6 + j].Should().Be(0);
            for (var r = 0; r < 5; r++)
                weights[others[r] * 6 + j].Should().BeApproximately(solution[r], 1e-10);
        }
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        for (var p = 0; p < n; p++)
        {
            for (var r = p + 1; r < n; r++)
            {
                var f = a[r, p] / a[p, p];
                for (var c = p; c < n; c++)
                    a[r, c] -= f * a[p, c];
                b[r] -= f * b[p];
            }
        }
        var solution = new double[n];
        for (var r = n - 1; r >= 0; r--)
        {
            var s = b[r];
            for (var c = r + 1; c < n; c++)
                s -= a[r, c] * solution[c];
            solution[r] = s / a[r, r];
        }
        return solution;
    }

    [Fact]
    public void EaseRefusesANonPositiveLambda()
    {
        var act = () => EaseRecommender.Fit(ClickMatrix.Empty(1, 2), 0);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("λ must be positive*");
    }

    [Fact]
    public void PopularityScoresEveryUserWithTheTrainingCounts()
    {
        var train = ClickMatrix.FromPairs(3, 4, [0, 1, 2, 2, 0], [2, 2, 2, 0, 3]);
        var popularity = new PopularityRecommender(train);
        var history = ClickMatrix.FromPairs(2, 4, [0], [1]);

        using var scores = popularity.Score(history, 0, 2);

        scores.shape.Should().Equal(2, 4);
        scores.data<float>().ToArray().Should().Equal(1, 0, 3, 1, 1, 0, 3, 1);
        popularity.Invoking(p => p.Score(ClickMatrix.Empty(2, 5), 0, 1)).Should().Throw<ArgumentException>().WithMessage("The history has 5 items but the model scores 4.*");
    }

    private sealed class FixedScores(float[,] scores) : IRecommender
    {
        public int ItemCount => scores.GetLength(1);

        public Tensor Score(ClickMatrix history, int firstUser, int count)
        {
            var rows = new float[count * ItemCount];
            for (var r = 0; r < count; r++)
                for (var i = 0; i < ItemCount; i++)
                    rows[r * ItemCount + i] = scores[firstUser + r, i];
            return torch.tensor(rows, new long[] { count, ItemCount });
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2000)]
    public void EvaluatorExcludesFoldInItemsSkipsUsersWithoutHeldOutItemsAndAveragesTheRest(int batchSize)
    {
        var scores = new float[,]
        {
            { 5, 4, 3, 2, 1 },  // fold-in {0}: ranking 1,2,3,4 with held-out {2}: NDCG@2 = 1/log2(3), Recall@1 = 0
            { 1, 2, 3, 4, 5 },  // no held-out items: skipped
            { 1, 1, 1, 1, 1 },  // fold-in {1}: ties by index give 0,2,3,4 with held-out {0, 4}
        };
        var foldIn = ClickMatrix.FromPairs(3, 5, [0, 1, 2], [0, 3, 1]);
        var heldOut = ClickMatrix.FromPairs(3, 5, [0, 2, 2], [2, 0, 4]);
        var options = new RankingOptions { NdcgCutoffs = [2], RecallCutoffs = [1, 4], BatchSize = batchSize };

        var report = RecommendationEvaluator.Evaluate(new FixedScores(scores), foldIn, heldOut, options);

        report.Users.Should().Equal(0, 2);
        report.SkippedUserCount.Should().Be(1);
        var d3 = 1 / Math.Log2(3);
        report.NdcgPerUser(2).Should().Equal(new[] { d3, 1 / (1 + d3) }, (a, b) => Math.Abs(a - b) < 1e-12);
        report.RecallPerUser(1).Should().Equal(0.0, 1.0);
        report.RecallPerUser(4).Should().Equal(1.0, 1.0);
        report.MeanNdcg(2).Should().BeApproximately((d3 + 1 / (1 + d3)) / 2, 1e-12);
        report.MeanRecall(1).Should().Be(0.5);
        report.RecallStandardError(1).Should().BeApproximately(0.5 / Math.Sqrt(2), 1e-12);
        report.Invoking(r => r.MeanNdcg(100)).Should().Throw<ArgumentException>().WithMessage("NDCG@100 was not evaluated; the cut-offs are 2.*");
        report.ToString().Should().Contain("Recall@1 = 0.50000").And.Contain("2 users evaluated, 1 without held-out items skipped");
    }

    [Fact]
    public void EaseBeatsPopularityWhenTastesDiffer()
    {
        // Two groups of users, each clicking its own half of the items; popularity favours the larger group's items.
        var (users, items) = (new List<int>(), new List<int>());
        for (var u = 0; u < 30; u++)
        {
            var group = u < 20 ? 0 : 1;
            for (var i = 0; i < 5; i++)
            {
                users.Add(u);
                items.Add(group * 5 + i);
            }
        }
        var train = ClickMatrix.FromPairs(30, 10, users.ToArray(), items.ToArray());
        var foldIn = ClickMatrix.FromPairs(1, 10, [0, 0], [5, 6]);
        var heldOut = ClickMatrix.FromPairs(1, 10, [0, 0, 0], [7, 8, 9]);
        var options = new RankingOptions { NdcgCutoffs = [3], RecallCutoffs = [3] };
        using var ease = EaseRecommender.Fit(train, 1.0);

        RecommendationEvaluator.Evaluate(ease, foldIn, heldOut, options).MeanRecall(3).Should().Be(1.0);
        RecommendationEvaluator.Evaluate(new PopularityRecommender(train), foldIn, heldOut, options).MeanRecall(3).Should().Be(0.0);
    }
}
