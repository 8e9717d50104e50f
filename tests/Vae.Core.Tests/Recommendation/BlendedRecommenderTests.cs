using Vae.Core.Recommendation;
using static TorchSharp.torch;

namespace Vae.Core.Tests.Recommendation;

public sealed class BlendedRecommenderTests
{
    // Scores given per user, whatever the history: a stand-in for a trained model.
    private sealed class FixedScores(float[][] rows) : IRecommender
    {
        public int ItemCount => rows[0].Length;

        public Tensor Score(ClickMatrix history, int firstUser, int count) =>
            tensor(rows.Skip(firstUser).Take(count).SelectMany(r => r).ToArray(), [count, ItemCount]);
    }

    private static ClickMatrix NoClicks(int users, int items) => ClickMatrix.Empty(users, items);

    private static double[] Standardised(float[] row)
    {
        var mean = row.Average(v => (double)v);
        var deviation = Math.Sqrt(row.Average(v => (v - mean) * (v - mean)));
        return row.Select(v => (v - mean) / deviation).ToArray();
    }

    [Fact]
    public void TheBlendIsTheWeightedSumOfEachModelsStandardisedScores()
    {
        float[][] a = [[1, 2, 3, 10], [0, -1, 4, 2]];
        float[][] b = [[100, 50, 0, 25], [3, 3, 9, 1]];
        var blend = new BlendedRecommender([new FixedScores(a), new FixedScores(b)], [0.7, 0.3]);

        using var scores = blend.Score(NoClicks(2, 4), 0, 2);

        scores.dtype.Should().Be(ScalarType.Float32);
        scores.shape.Should().Equal(2, 4);
        var actual = scores.data<float>().ToArray();
        for (var user = 0; user < 2; user++)
        {
            var (za, zb) = (Standardised(a[user]), Standardised(b[user]));
            for (var item = 0; item < 4; item++)
                actual[(user * 4) + item].Should().BeApproximately((float)((0.7 * za[item]) + (0.3 * zb[item])), 1e-5f, $"user {user}, item {item}");
        }
    }

    [Fact]
    public void AModelsScoresShiftedOrScaledPerUserChangeNothing()
    {
        float[][] a = [[1, 2, 3, 10], [0, -1, 4, 2]];
        float[][] shifted = [[-40, -39, -38, -31], [0, -3, 12, 6]]; // user 0: a - 41 (log-softmax against logits), user 1: 3a
        float[][] b = [[100, 50, 0, 25], [3, 3, 9, 1]];
        var history = NoClicks(2, 4);

        using var original = new BlendedRecommender([new FixedScores(a), new FixedScores(b)], [0.5, 0.5]).Score(history, 0, 2);
        using var moved = new BlendedRecommender([new FixedScores(shifted), new FixedScores(b)], [0.5, 0.5]).Score(history, 0, 2);

        moved.data<float>().ToArray().Should().Equal(original.data<float>().ToArray(), (x, y) => Math.Abs(x - y) < 1e-5f);
    }

    [Fact]
    public void AUserWithEqualScoresEverywhereGetsTheOtherModelsRanking()
    {
        float[][] flat = [[5, 5, 5]];
        float[][] b = [[1, 3, 2]];

        using var scores = new BlendedRecommender([new FixedScores(flat), new FixedScores(b)], [0.9, 0.1]).Score(NoClicks(1, 3), 0, 1);

        var values = scores.data<float>().ToArray();
        values.Should().OnlyContain(v => float.IsFinite(v));
        values[1].Should().BeGreaterThan(values[2]).And.BeGreaterThan(values[0]);
    }

    [Fact]
    public void FitPicksTheWeightWithTheBestValidationNdcg()
    {
        // Two users, four items; each holds out item 3. Model a ranks item 3 first for user 0 only, model b for
        // user 1 only, and a blend of both ranks it first for both: the best weight is neither 0 nor 1.
        var foldIn = ClickMatrix.FromPairs(2, 4, [0, 1], [0, 0]);
        var heldOut = ClickMatrix.FromPairs(2, 4, [0, 1], [3, 3]);
        var validation = new HeldOutUsers(foldIn, heldOut, firstUserId: 0);
        var a = new FixedScores([[0, 1, 0, 3], [0, 2, 1.2f, 1]]);
        var b = new FixedScores([[0, 3, 0, 2], [0, 1, 1, 3]]);
        var ranking = new RankingOptions { NdcgCutoffs = [1], RecallCutoffs = [] };

        var blend = BlendedRecommender.Fit(a, b, validation, [0, 0.25, 0.5, 0.75, 1], ranking);

        blend.Weights.Should().Equal(0.5, 0.5);
        blend.ValidationNdcg.Should().Be(1);
        RecommendationEvaluator.Evaluate(blend, validation, ranking).MeanNdcg(1).Should().Be(1);
        RecommendationEvaluator.Evaluate(new BlendedRecommender([a, b], [1, 0]), validation, ranking).MeanNdcg(1).Should().Be(0.5);
        RecommendationEvaluator.Evaluate(new BlendedRecommender([a, b], [0, 1]), validation, ranking).MeanNdcg(1).Should().Be(0.5);
    }

    [Fact]
    public void AWeightOfOneRanksAsTheModelAlone()
    {
        var random = new Random(3);
        var rows = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 30).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var model = new FixedScores(rows);
        var other = new FixedScores(rows.Select(r => r.Reverse().ToArray()).ToArray());
        var foldIn = ClickMatrix.FromPairs(5, 30, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]);
        var heldOut = ClickMatrix.FromPairs(5, 30, [0, 0, 1, 2, 3, 4, 4], [7, 9, 11, 20, 25, 5, 29]);
        var users = new HeldOutUsers(foldIn, heldOut, firstUserId: 0);
        var ranking = new RankingOptions { NdcgCutoffs = [10], RecallCutoffs = [5] };

        var alone = RecommendationEvaluator.Evaluate(model, users, ranking);
        var blended = RecommendationEvaluator.Evaluate(new BlendedRecommender([model, other], [1, 0]), users, ranking);

        blended.NdcgPerUser(10).Should().Equal(alone.NdcgPerUser(10));
        blended.RecallPerUser(5).Should().Equal(alone.RecallPerUser(5));
    }

    [Fact]
    public void ABlendWithAVaeRecommendsInTheVaesItemIds()
    {
        var ids = Enumerable.Range(0, 12).Select(i => $"item-{i}").ToArray();
        var train = ClickMatrix.FromPairs(6, 12, [0, 0, 1, 1, 2, 3, 3, 4, 5, 5], [0, 1, 1, 2, 3, 4, 5, 6, 7, 8]);
        using var vae = new MultVae(ids, new MultVaeOptions { HiddenSizes = [8], LatentSize = 3 }, seed: 4);
        using var ease = EaseRecommender.Fit(train, lambda: 1);
        var blend = new BlendedRecommender([vae, ease], [0.4, 0.6]);

        var recommended = blend.Recommend(["item-1", "item-7"], k: 5);

        blend.ItemIds.Should().Equal(ids);
        using var scores = blend.Score(ClickMatrix.FromPairs(1, 12, [0, 0], [1, 7]), 0, 1);
        var row = scores.data<float>().ToArray();
        var expected = Enumerable.Range(0, 12).Where(i => i is not (1 or 7)).OrderByDescending(i => row[i]).Take(5).ToArray();
        recommended.Select(r => r.ItemId).Should().Equal(expected.Select(i => ids[i]), "the best unclicked items by the blended scores, best first");
        recommended.Select(r => r.Score).Should().Equal(expected.Select(i => row[i]));
        blend.Recommend(train, k: 3).Should().HaveCount(6).And.OnlyContain(list => !list.Items.Any(item => train.Contains(list.User, item)));
    }

    [Fact]
    public void ABlendWithoutItemIdsOrWithTwoCataloguesSaysSo()
    {
        var train = ClickMatrix.FromPairs(3, 4, [0, 1, 2], [0, 1, 2]);
        using var ease = EaseRecommender.Fit(train, lambda: 1);
        var withoutIds = new BlendedRecommender([ease, new PopularityRecommender(train)], [0.5, 0.5]);

        withoutIds.ItemIds.Should().BeNull();
        FluentActions.Invoking(() => withoutIds.Recommend(["a"], 2)).Should().Throw<InvalidOperationException>().WithMessage("*item ids*");
        using var first = new MultVae(["a", "b", "c", "d"], new MultVaeOptions { HiddenSizes = [4], LatentSize = 2 });
        using var second = new MultVae(["a", "b", "d", "c"], new MultVaeOptions { HiddenSizes = [4], LatentSize = 2 });
        FluentActions.Invoking(() => new BlendedRecommender([first, second], [0.5, 0.5])).Should().Throw<ArgumentException>().WithMessage("*different item ids*");
    }

    [Fact]
    public void BadPartsAreErrorsNamingThem()
    {
        var three = new FixedScores([[1, 2, 3]]);
        var four = new FixedScores([[1, 2, 3, 4]]);

        FluentActions.Invoking(() => new BlendedRecommender([three, four], [0.5, 0.5])).Should().Throw<ArgumentException>()
            .WithMessage("*Recommender 1*4 items*3*same items*");
        FluentActions.Invoking(() => new BlendedRecommender([three], [1])).Should().Throw<ArgumentException>().WithMessage("*at least two*");
        FluentActions.Invoking(() => new BlendedRecommender([three, three], [1])).Should().Throw<ArgumentException>().WithMessage("*1 weights for 2*");
        FluentActions.Invoking(() => new BlendedRecommender([three, three], [1, -0.5])).Should().Throw<ArgumentException>().WithMessage("*Weight 1 is -0.5*");
        FluentActions.Invoking(() => new BlendedRecommender([three, three], [double.NaN, 1])).Should().Throw<ArgumentException>().WithMessage("*Weight 0 is NaN*");
        FluentActions.Invoking(() => new BlendedRecommender([three, three], [0, 0])).Should().Throw<ArgumentException>().WithMessage("*Every weight is 0*");
        FluentActions.Invoking(() => new BlendedRecommender([three, three], [1, 1]).Score(NoClicks(1, 4), 0, 1)).Should().Throw<ArgumentException>()
            .WithMessage("*4 items*blend scores 3*");
        var users = new HeldOutUsers(ClickMatrix.FromPairs(1, 3, [0], [0]), ClickMatrix.FromPairs(1, 3, [0], [2]), firstUserId: 0);
        FluentActions.Invoking(() => BlendedRecommender.Fit(three, three, users, [1.5])).Should().Throw<ArgumentException>().WithMessage("*1.5*outside [0, 1]*");
        FluentActions.Invoking(() => BlendedRecommender.Fit(three, three, users, [])).Should().Throw<ArgumentException>().WithMessage("*No candidate*");
    }
}
