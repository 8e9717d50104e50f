using System.Text.Json;
using TorchSharp;
using Vae.Core.Recommendation;
using static TorchSharp.torch;

namespace Vae.Core.Tests.Recommendation;

/// <summary>
/// Compares EASE and the ranking metrics with values NumPy computed in <c>reference/make_fixture.py</c>, which
/// follows the Mult-VAE reference notebook's metric code and Steck's EASE closed form independently of this library.
/// </summary>
public sealed class ReferenceFixtureTests
{
    private static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        var relative = Path.Combine("tests", "Vae.Core.Tests", "Recommendation", "reference", "reference_fixture.json");
        // The tests run from bin/<configuration>/<framework>; the repository root is some levels above.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
                return JsonDocument.Parse(File.ReadAllText(candidate)).RootElement;
        }
        throw new FileNotFoundException($"No '{relative}' in {AppContext.BaseDirectory} or any folder above it.");
    });

    private static int Items => Fixture.Value.GetProperty("items").GetInt32();

    private static double[] Doubles(string name) => Fixture.Value.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static ClickMatrix Matrix(string name, int users)
    {
        var pairs = Fixture.Value.GetProperty(name);
        return ClickMatrix.FromPairs(users, Items,
            pairs.GetProperty("users").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            pairs.GetProperty("items").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    [Fact]
    public void EaseWeightsAndScoresMatchNumpy()
    {
        using var ease = EaseRecommender.Fit(Matrix("train", 60), Fixture.Value.GetProperty("lambda").GetDouble());
        var foldIn = Matrix("fold_in", 12);

        ease.Weights.data<double>().ToArray().Should().Equal(Doubles("ease_weights"), (a, b) => Math.Abs(a - b) < 1e-12);
        using var scores = ease.Score(foldIn, 0, 12);
        scores.data<float>().ToArray().Should().Equal(Doubles("ease_scores"), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    private sealed class FixtureScores(double[] scores, int items) : IRecommender
    {
        public int ItemCount => items;

        public Tensor Score(ClickMatrix history, int firstUser, int count) =>
            torch.tensor(scores.Skip(firstUser * items).Take(count * items).Select(s => (float)s).ToArray(), new long[] { count, items });
    }

    [Fact]
    public void NdcgAndRecallPerUserMatchTheReferenceCode()
    {
        var options = new RankingOptions { NdcgCutoffs = [5, 10], RecallCutoffs = [3, 10], BatchSize = 5 };

        var report = RecommendationEvaluator.Evaluate(new FixtureScores(Doubles("scores"), Items), Matrix("fold_in", 12), Matrix("held_out", 12), options);

        report.Users.Should().HaveCount(12);
        foreach (var k in new[] { 5, 10 })
        {
            var expected = Fixture.Value.GetProperty("ndcg").GetProperty($"{k}").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            report.NdcgPerUser(k).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-12, $"NDCG@{k}");
        }
        foreach (var k in new[] { 3, 10 })
        {
            var expected = Fixture.Value.GetProperty("recall").GetProperty($"{k}").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            report.RecallPerUser(k).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-12, $"Recall@{k}");
        }
    }
}
