using Vae.Core.Recommendation;
using Vae.Core.Tests.Data;
using Xunit.Abstractions;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Recommendation;

public sealed class SyntheticClicksTests(ITestOutputHelper output)
{
    private static readonly SyntheticClickOptions Small = new() { UserCount = 400, ItemCount = 200, TopicCount = 10, Seed = 7 };

    [Fact]
    public void TheSameSeedGivesTheSameClicksAndAnotherSeedOtherClicks()
    {
        var first = SyntheticClicks.Generate(Small);
        var second = SyntheticClicks.Generate(Small);
        var other = SyntheticClicks.Generate(Small with { Seed = 8 });

        ImplicitFeedbackFolderTests.Same(second.Clicks, first.Clicks);
        second.ItemTopics.Should().Equal(first.ItemTopics);
        other.Clicks.ItemIndices.ToArray().Should().NotEqual(first.Clicks.ItemIndices.ToArray());
        // Pinned so that a change to the generator, which would change every figure measured on its data, is noticed.
        first.Clicks.ClickCount.Should().Be(8262);
        first.Clicks.ItemsOf(0).ToArray().Should().Equal(3, 5, 29, 35, 38, 41, 64, 82, 109, 127, 147, 157, 168);
    }

    [Fact]
    public void UsersClickMostlyWithinTheirOwnTopicsAndPopularityIsSkewed()
    {
        var data = SyntheticClicks.Generate(Small);

        data.Clicks.UserCount.Should().Be(400);
        data.Clicks.ItemCount.Should().Be(200);
        var (inTopic, total) = (0, 0);
        for (var user = 0; user < 400; user++)
        {
            var topics = data.UserTopics[user];
            topics.Count.Should().BeInRange(1, Small.MaxTopicsPerUser);
            var items = data.Clicks.ItemsOf(user);
            items.Length.Should().BeGreaterThanOrEqualTo(Small.MinClicksPerUser);
            foreach (var item in items)
                inTopic += topics.Contains(data.ItemTopics[item]) ? 1 : 0;
            total += items.Length;
        }
        ((double)inTopic / total).Should().BeGreaterThan(0.8, "all but the noise clicks (10%, some of them in the user's topics anyway) fall in the user's topics");
        var popularity = data.Clicks.UsersPerItem().Order().ToArray();
        var topTenth = popularity[^20..].Sum();
        ((double)topTenth / popularity.Sum()).Should().BeGreaterThan(0.2, "a power law puts on the top tenth of the items at least twice the tenth of the clicks a uniform spread would");
        data.ItemTopics.GroupBy(t => t).Should().HaveCount(10).And.OnlyContain(g => g.Count() == 20);
    }

    [Fact]
    public void SplitMatchesTheFolderItWritesAndHoldsOutAFifthOfEachHeldOutUser()
    {
        var data = SyntheticClicks.Generate(Small);
        using var folder = new TempFolder();

        var split = data.WriteFolder(folder.Path);
        var read = ImplicitFeedbackFolder.Read(folder.Path);

        split.Validation.UserCount.Should().Be(40);
        split.Test.UserCount.Should().Be(40);
        split.Train.UserCount.Should().Be(320);
        read.ItemIds.Should().Equal(split.ItemIds);
        ImplicitFeedbackFolderTests.Same(read.Train, split.Train);
        ImplicitFeedbackFolderTests.Same(read.Test.FoldIn, split.Test.FoldIn);
        ImplicitFeedbackFolderTests.Same(read.Test.HeldOut, split.Test.HeldOut);
        read.Test.FirstUserId.Should().Be(split.Test.FirstUserId).And.Be(360);
        for (var row = 0; row < split.Test.UserCount; row++)
        {
            var (foldIn, heldOut) = (split.Test.FoldIn.CountOf(row), split.Test.HeldOut.CountOf(row));
            heldOut.Should().Be((int)(0.2 * (foldIn + heldOut)));
            split.Test.FoldIn.ItemsOf(row).ToArray().Intersect(split.Test.HeldOut.ItemsOf(row).ToArray()).Should().BeEmpty();
        }
    }

    [Fact]
    public void OutOfRangeOptionsAreNamed()
    {
        var act = () => SyntheticClicks.Generate(Small with { MaxTopicsPerUser = 11 });
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("MaxTopicsPerUser");
        act = () => SyntheticClicks.Generate(Small with { NoiseFraction = 1 });
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("NoiseFraction");
        act = () => SyntheticClicks.Generate(Small with { ItemCount = 5 });
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ItemCount");
    }

    /// <summary>
    /// The default data set is the one the Mult-VAE sample trains on: a personalised model must beat popularity by
    /// far more than the 1.5x the model is later held to. EASE stands in for a personalised model here.
    /// </summary>
    [Fact]
    public void OnTheDefaultDataEaseBeatsPopularityByFarMoreThanOneAndAHalfTimes()
    {
        var split = SyntheticClicks.Generate().Split();
        using var ease = EaseRecommender.Fit(split.Train);
        var popularity = new PopularityRecommender(split.Train);

        foreach (var (name, users) in new[] { ("validation", split.Validation), ("test", split.Test) })
        {
            var easeReport = RecommendationEvaluator.Evaluate(ease, users);
            var popularityReport = RecommendationEvaluator.Evaluate(popularity, users);
            output.WriteLine($"{name}: {split.Train.UserCount} training users, {users.UserCount} held-out users, {split.ItemCount} items, {split.Train.ClickCount} training clicks");
            output.WriteLine($"EASE (lambda {ease.Lambda}):\n{easeReport}");
            output.WriteLine($"Popularity:\n{popularityReport}");
            output.WriteLine($"NDCG@100 ratio: {easeReport.MeanNdcg(100) / popularityReport.MeanNdcg(100):F2}");

            easeReport.MeanNdcg(100).Should().BeGreaterThan(2 * popularityReport.MeanNdcg(100));
        }
    }
}
