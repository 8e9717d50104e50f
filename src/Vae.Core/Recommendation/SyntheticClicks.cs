namespace Vae.Core.Recommendation;

/// <summary>
/// A seeded generator of implicit feedback with the structure collaborative filtering exploits: items belong to
/// topics with power-law popularity inside each topic, and every user clicks mostly within a few topics of their
/// own, plus a little taste-free noise drawn from global popularity.
/// </summary>
/// <remarks>
/// Topics are many and of similar prevalence, so the globally popular items are spread over all topics and most of
/// them are irrelevant to any one user: global popularity predicts a user's held-out clicks poorly, while a model
/// that infers the user's topics from the fold-in clicks predicts them well.
/// </remarks>
public static class SyntheticClicks
{
    /// <summary>Generates clicks; the same options give the same data on every run (a seeded <see cref="Random"/> and hand-written shuffles).</summary>
    /// <param name="options">The sizes and shape of the data; see <see cref="SyntheticClickOptions"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public static SyntheticClickData Generate(SyntheticClickOptions? options = null)
    {
        options ??= new SyntheticClickOptions();
        options.Validate();
        var random = new Random(options.Seed);
        var (itemCount, topicCount) = (options.ItemCount, options.TopicCount);

        // Items are dealt to topics round-robin in a shuffled order, so item ids carry no hint of their topic.
        var order = Enumerable.Range(0, itemCount).ToArray();
        // Fisher-Yates by hand: Random.Shuffle's algorithm is not documented as stable across .NET versions.
        for (var i = itemCount - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var itemTopics = new int[itemCount];
        var topicItems = Enumerable.Range(0, topicCount).Select(_ => new List<int>()).ToArray();
        for (var position = 0; position < itemCount; position++)
        {
            var (item, topic) = (order[position], position % topicCount);
            itemTopics[item] = topic;
            topicItems[topic].Add(item);
        }
        var withinTopic = topicItems.Select(items => Cumulative(items.Select((_, rank) => Math.Pow(rank + 1, -options.PopularityExponent)))).ToArray();
        var topicPrevalence = Enumerable.Range(0, topicCount).Select(t => Math.Pow(t + 1, -options.TopicSkew)).ToArray();
        var topicCumulative = Cumulative(topicPrevalence);
        var globalWeights = new double[itemCount];
        for (var t = 0; t < topicCount; t++)
        {
            var total = topicItems[t].Select((_, rank) => Math.Pow(rank + 1, -options.PopularityExponent)).Sum();
            for (var rank = 0; rank < topicItems[t].Count; rank++)
                globalWeights[topicItems[t][rank]] = topicPrevalence[t] * Math.Pow(rank + 1, -options.PopularityExponent) / total;
        }
        var globalCumulative = Cumulative(globalWeights);

        var (clickUsers, clickItems) = (new List<long>(), new List<long>());
        var userTopics = new int[options.UserCount][];
        var clicked = new HashSet<int>();
        for (var user = 0; user < options.UserCount; user++)
        {
            var topicTotal = 1 + random.Next(options.MaxTopicsPerUser);
            var topics = new List<int>();
            while (topics.Count < topicTotal)
            {
                var topic = Draw(topicCumulative, random);
                if (!topics.Contains(topic))
                    topics.Add(topic);
            }
            userTopics[user] = topics.Order().ToArray();
            // Flat Dirichlet weights: normalised unit exponentials.
            var mixture = Cumulative(topics.Select(_ => -Math.Log(1 - random.NextDouble())));
            var available = topics.Sum(t => topicItems[t].Count);
            // Log-normal around the median by default; with an activity exponent a Pareto tail from the minimum up.
            var activity = options.ActivityExponent is { } exponent
                ? options.MinClicksPerUser * Math.Pow(1 - random.NextDouble(), -1 / exponent)
                : Math.Exp(Math.Log(options.MedianClicksPerUser) + 0.5 * Gaussian(random));
            var wanted = Math.Clamp((int)Math.Min(Math.Round(activity), int.MaxValue), options.MinClicksPerUser, Math.Max(options.MinClicksPerUser, (int)(0.7 * available)));

            clicked.Clear();
            // Rejection of repeats can stall once a user's favourite items are taken; the cap keeps it bounded.
            for (var attempt = 0; clicked.Count < wanted && attempt < 50 * wanted; attempt++)
            {
                int item;
                if (random.NextDouble() < options.NoiseFraction)
                    item = Draw(globalCumulative, random);
                else
                {
                    var topic = topics[Draw(mixture, random)];
                    item = topicItems[topic][Draw(withinTopic[topic], random)];
                }
                if (clicked.Add(item))
                {
                    clickUsers.Add(user);
                    clickItems.Add(item);
                }
            }
        }
        return new SyntheticClickData(options, clickUsers.ToArray(), clickItems.ToArray(), itemTopics, userTopics);
    }

    private static double[] Cumulative(IEnumerable<double> weights)
    {
        var cumulative = weights.ToArray();
        for (var i = 1; i < cumulative.Length; i++)
            cumulative[i] += cumulative[i - 1];
        return cumulative;
    }

    /// <summary>An index drawn with probability proportional to its weight, given the cumulative weights.</summary>
    private static int Draw(double[] cumulative, Random random)
    {
        var target = random.NextDouble() * cumulative[^1];
        var index = Array.BinarySearch(cumulative, target);
        index = index >= 0 ? index + 1 : ~index;
        return Math.Min(index, cumulative.Length - 1);
    }

    /// <summary>A standard normal draw (Box-Muller), from two uniforms so it needs no state between calls.</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
