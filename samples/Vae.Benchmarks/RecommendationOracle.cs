using System.Globalization;
using TorchSharp;
using Vae.Core.Recommendation;
using static TorchSharp.torch;

namespace Vae.Benchmarks;

/// <summary>
/// How close a recommender can come on the synthetic clicks: a scorer that is told what the generator knows and no
/// model learns (each item's topic and each held-out user's true topics), against EASE on the same users. It bounds
/// from below what a perfect learner could reach on these data, so it says how much room EASE leaves.
/// </summary>
/// <remarks>
/// The generator (<see cref="SyntheticClicks"/>) draws 90% of a user's clicks from their topics, weighted by a flat
/// Dirichlet draw and by within-topic popularity, without repeats, and 10% from global popularity. The oracle scores an
/// unclicked item j of topic t as 0.9 w_t pop_j / (the unclicked popularity left in t) + 0.1 pop_j / (all popularity),
/// with w_t the posterior mean of the user's topic weight from their fold-in clicks in their true topics (counts plus
/// one) and pop the item's training clicks plus one; items of topics not the user's get only the second term.
/// </remarks>
internal sealed class RecommendationOracle(SyntheticClickData generated, IReadOnlyList<string> itemIds, IReadOnlyList<int> userIds, ClickMatrix train) : IRecommender
{
    private readonly double[] popularity = Popularity(train);

    // The generator's topic of each column (columns are the split's item ids, generator ids in another order).
    private readonly int[] itemTopics = itemIds.Select(id => generated.ItemTopics[int.Parse(id, CultureInfo.InvariantCulture)]).ToArray();

    public int ItemCount => train.ItemCount;

    public Tensor Score(ClickMatrix history, int firstUser, int count)
    {
        var items = ItemCount;
        var topicCount = generated.Options.TopicCount;
        var total = popularity.Sum();
        var topicPopularity = new double[topicCount];
        for (var j = 0; j < items; j++) topicPopularity[itemTopics[j]] += popularity[j];
        var scores = new float[(long)count * items];
        var left = new double[topicCount];
        var clicksIn = new double[topicCount];
        for (var row = 0; row < count; row++)
        {
            var topics = generated.UserTopics[userIds[firstUser + row]];
            Array.Copy(topicPopularity, left, topicCount);
            Array.Clear(clicksIn);
            var clicked = history.ItemsOf(firstUser + row);
            foreach (var item in clicked)
            {
                left[itemTopics[item]] -= popularity[item];
                clicksIn[itemTopics[item]]++;
            }
            var own = topics.Sum(t => clicksIn[t] + 1);
            for (var j = 0; j < items; j++)
            {
                var t = itemTopics[j];
                var score = 0.1 * popularity[j] / total;
                if (topics.Contains(t)) score += 0.9 * (clicksIn[t] + 1) / own * popularity[j] / Math.Max(left[t], 1e-9);
                scores[(long)row * items + j] = (float)score;
            }
        }
        return tensor(scores, [count, items]);
    }

    private static double[] Popularity(ClickMatrix train)
    {
        var counts = new double[train.ItemCount];
        foreach (var item in train.ItemIndices) counts[item]++;
        for (var j = 0; j < counts.Length; j++) counts[j] += 1;
        return counts;
    }

    /// <summary>`recommend-oracle [--long-tail] [--seed N]`: the oracle's and EASE's NDCG@100, Recall@20 and @50.</summary>
    public static void Run(string[] args)
    {
        var seedIndex = Array.IndexOf(args, "--seed");
        var seed = seedIndex >= 0 ? int.Parse(args[seedIndex + 1], CultureInfo.InvariantCulture) : 1;
        var longTail = args.Contains("--long-tail");
        // The synthetic default's files (`recommend --write`, seed 42) and the sample's long-tail setting (seed --seed).
        var options = longTail
            ? SyntheticClickOptions.LongTail with { UserCount = 6000, ItemCount = 1000, TopicCount = 25, Seed = seed }
            : RecommendationBenchmark.Options(6000, 1000);
        var generated = SyntheticClicks.Generate(options);
        var data = generated.Split();
        Console.WriteLine($"synthetic {(longTail ? $"long-tail, seed {seed}" : "default (the files of recommend --write)")}: {options.UserCount:N0} users, {options.ItemCount:N0} items, {options.TopicCount} topics; test users {data.Test.FoldIn.UserCount:N0}");
        // The split renumbers users in a shuffled order; a test user is the generator's user with the same clicks.
        string Key(IEnumerable<int> generatorItems) => string.Join(",", generatorItems.Order());
        var generatorUsers = new Dictionary<string, int>();
        for (var user = 0; user < generated.Clicks.UserCount; user++)
            generatorUsers[Key(generated.Clicks.ItemsOf(user).ToArray())] = user;
        var itemIds = data.ItemIds.Select(id => int.Parse(id, CultureInfo.InvariantCulture)).ToArray();
        var testUsers = Enumerable.Range(0, data.Test.FoldIn.UserCount)
            .Select(row => generatorUsers[Key(data.Test.FoldIn.ItemsOf(row).ToArray().Concat(data.Test.HeldOut.ItemsOf(row).ToArray()).Select(j => itemIds[j]))])
            .ToArray();
        var oracle = RecommendationEvaluator.Evaluate(new RecommendationOracle(generated, data.ItemIds, testUsers, data.Train), data.Test);
        using var ease = EaseRecommender.Fit(data.Train);
        var easeReport = RecommendationEvaluator.Evaluate(ease, data.Test);
        Console.WriteLine($"{"",-46} NDCG@100  Recall@20  Recall@50");
        foreach (var (name, report) in new[] { ("oracle (told the item and user topics)", oracle), ("EASE (lambda 500)", easeReport) })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-46} {report.MeanNdcg(100),8:F4}  {report.MeanRecall(20),9:F4}  {report.MeanRecall(50),9:F4}"));
    }
}
