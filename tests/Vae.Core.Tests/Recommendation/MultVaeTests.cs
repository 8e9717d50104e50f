using TorchSharp;
using Vae.Core.Recommendation;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Recommendation;

public sealed unsafe class MultVaeTests
{
    private static readonly MultVaeOptions Tiny = new() { HiddenSizes = [7], LatentSize = 3 };

    private static ClickMatrix RandomClicks(int users, int items, int seed, bool withValues = false)
    {
        var random = new Random(seed);
        var (u, i, v) = (new List<int>(), new List<int>(), new List<float>());
        for (var user = 0; user < users; user++)
        {
            for (var item = 0; item < items; item++)
            {
                if (random.NextDouble() < 0.25)
                {
                    u.Add(user);
                    i.Add(item);
                    v.Add(1 + random.Next(3));
                }
            }
        }
        return withValues ? ClickMatrix.FromTriples(users, items, u.ToArray(), i.ToArray(), v.ToArray()) : ClickMatrix.FromPairs(users, items, u.ToArray(), i.ToArray());
    }

    private static string[] Ids(int count) => Enumerable.Range(0, count).Select(i => $"item{i}").ToArray();

    [Fact]
    public void MultinomialLikelihoodAndItsGradientMatchTheClosedForm()
    {
        // With the identity as weights and a zero bias, the layer's input is the logits themselves, so the loss is
        // sum_u (n_u logsumexp(l_u) - sum_i x_ui l_ui) and the input gradient (n_u softmax(l_u) - x_u) / users.
        const int items = 5;
        var clicks = ClickMatrix.FromTriples(2, items, [0, 0, 1, 1, 1], [1, 3, 0, 2, 4], [1f, 2f, 1f, 1f, 3f]);
        float[] logits = [0.5f, -1f, 2f, 0f, 1.5f, -0.3f, 0.7f, 0.1f, -2f, 1f];
        var identity = new float[items * items];
        for (var i = 0; i < items; i++) identity[i * items + i] = 1;
        var bias = new float[items];
        var scratch = new float[items * MultVaeLayers.PaddedUsers(2)];
        var (weightGradient, biasGradient, hiddenGradient) = (new float[items * items], new float[items], new float[2 * items]);

        double loss;
        fixed (float* l = logits, w = identity, b = bias, s = scratch, gw = weightGradient, gb = biasGradient, gh = hiddenGradient)
            loss = MultVaeLayers.OutputForwardBackward(clicks, l, items, w, b, s, gw, gb, gh, threads: 1);

        var expectedLoss = 0.0;
        for (var u = 0; u < 2; u++)
        {
            var row = logits.AsSpan(u * items, items).ToArray().Select(v => (double)v).ToArray();
            var logSumExp = Math.Log(row.Sum(Math.Exp));
            var x = new double[items];
            var clicked = clicks.ItemsOf(u);
            var values = clicks.ValuesOf(u);
            for (var c = 0; c < clicked.Length; c++) x[clicked[c]] = values[c];
            var n = x.Sum();
            expectedLoss += n * logSumExp - x.Select((xi, i) => xi * row[i]).Sum();
            for (var i = 0; i < items; i++)
            {
                var expected = (n * Math.Exp(row[i] - logSumExp) - x[i]) / 2;
                hiddenGradient[u * items + i].Should().BeApproximately((float)expected, 1e-6f);
            }
        }
        loss.Should().BeApproximately(expectedLoss, 1e-5);
        // The bias gradient is the column sum of the logit gradient.
        for (var i = 0; i < items; i++)
            biasGradient[i].Should().BeApproximately(hiddenGradient[i] + hiddenGradient[items + i], 1e-6f);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void TheSparseInputLayerEqualsTheDenseProduct(bool withDropout, bool withValues)
    {
        var clicks = RandomClicks(9, 40, seed: 3, withValues);
        using var model = new MultVae(Ids(40), Tiny, seed: 5);
        var keep = withDropout ? Enumerable.Range(0, clicks.ClickCount).Select(c => c % 3 != 0).ToArray() : null;
        var weights = MultVaeLayers.InputWeights(clicks, 0.5, keep);

        using var sparse = model.InputLayer(clicks, weights);

        using var dense = clicks.ToDenseL2Normalized(0, clicks.UserCount);
        if (keep is not null)
        {
            var mask = new float[clicks.UserCount * 40];
            var rows = clicks.RowPointers;
            for (var u = 0; u < clicks.UserCount; u++)
                for (var c = rows[u]; c < rows[u + 1]; c++)
                    mask[u * 40 + clicks.ItemIndices[c]] = keep[c] ? 2f : 0f;
            using var maskTensor = torch.tensor(mask, [clicks.UserCount, 40]);
            dense.mul_(maskTensor);
        }
        using var expected = dense.mm(model.InputWeight).add(model.InputBias);
        sparse.allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void GradientsOfATrainingStepMatchAutogradOnTheDenseReferenceGraph()
    {
        const int items = 30;
        var clicks = RandomClicks(6, items, seed: 8, withValues: true);
        using var model = new MultVae(Ids(items), Tiny with { HiddenSizes = [7, 5] }, seed: 2);
        var keep = Enumerable.Range(0, clicks.ClickCount).Select(c => c % 4 != 1).ToArray();
        var weights = MultVaeLayers.InputWeights(clicks, 0.5, keep);
        using var noise = randn([6, 3], generator: new Generator(4));
        const double beta = 0.3, l2 = 0.01;
        using var adam = new FlatAdam(model.Parameters, 1e-3);
        adam.AttachGradients(model.Parameters);
        using var generator = new Generator(1);
        using var step = new MultVaeStep(model, new TrainingSetup(new VaeTrainerOptions(), generator, adam), 0, 2000);
        // Twice, so that the second call shows the input gradient's rows of the first were cleared.
        step.ComputeGradients(clicks, weights, noise, beta, l2);
        var loss = step.ComputeGradients(clicks, weights, noise, beta, l2);

        // The reference: the dense graph of the reference code in float64 (x normalised, masked, scaled by 1/keep).
        var copies = model.Parameters.Select(p => p.detach().to_type(ScalarType.Float64).requires_grad_(true)).ToArray();
        var x = clicks.ToDense(0, 6).to_type(ScalarType.Float64);
        var mask = new double[6 * items];
        var rows = clicks.RowPointers;
        for (var u = 0; u < 6; u++)
            for (var c = rows[u]; c < rows[u + 1]; c++)
                mask[u * items + clicks.ItemIndices[c]] = keep[c] ? 2 : 0;
        var h = torch.nn.functional.normalize(x, p: 2, dim: 1) * torch.tensor(mask, [6, items]);
        h = h.mm(copies[0]) + copies[1];
        h = h.tanh().mm(copies[2]) + copies[3];
        h = h.tanh().mm(copies[4]) + copies[5];
        var (mean, logVariance) = (h.narrow(1, 0, 3), h.narrow(1, 3, 3));
        var z = mean + noise.to_type(ScalarType.Float64) * (0.5 * logVariance).exp();
        var a = (z.mm(copies[6]) + copies[7]).tanh();
        a = (a.mm(copies[8]) + copies[9]).tanh();
        var logits = a.mm(copies[10].t()) + copies[11];
        var nll = -(torch.nn.functional.log_softmax(logits, 1) * x).sum(1).mean();
        var kl = (0.5 * (-logVariance + logVariance.exp() + mean.square() - 1)).sum(1).mean();
        var penalty = copies.Where((_, i) => i % 2 == 0).Select(w => w.square().sum()).Aggregate((p, q) => p + q) * l2;
        var total = nll + beta * kl + penalty;
        total.backward();

        loss.NegativeLogLikelihood.Should().BeApproximately(nll.item<double>(), 1e-4);
        loss.Kl.Should().BeApproximately(kl.item<double>(), 1e-4);
        loss.Loss.Should().BeApproximately(total.item<double>(), 1e-4);
        for (var i = 0; i < copies.Length; i++)
        {
            var expected = copies[i].grad!.to_type(ScalarType.Float32);
            var actual = model.Parameters[i].grad!;
            actual.allclose(expected, rtol: 1e-3, atol: 1e-5).Should().BeTrue($"parameter {i} of shape [{string.Join(", ", actual.shape)}] has max difference {(actual - expected).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void TheKlWeightRisesByOneOverTheAnnealStepsUpToTheCap()
    {
        var options = new MultVaeTrainerOptions { AnnealCap = 0.2, TotalAnnealSteps = 1000 };
        options.AnnealAt(0).Should().Be(0);
        options.AnnealAt(100).Should().BeApproximately(0.1, 1e-12);
        options.AnnealAt(200).Should().BeApproximately(0.2, 1e-12);
        options.AnnealAt(5000).Should().Be(0.2);
        (options with { TotalAnnealSteps = 0 }).AnnealAt(0).Should().Be(0.2);
    }

    [Fact]
    public void AShortTrainingOnGeneratedDataBeatsPopularityByHalfAgain()
    {
        var data = SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 3000, ItemCount = 600, TopicCount = 20 }).Split();
        using var model = new MultVae(data.ItemIds, new MultVaeOptions { HiddenSizes = [200], LatentSize = 50 }, seed: 1);
        var epochs = new List<MultVaeEpoch>();
        var result = new MultVaeTrainer(new MultVaeTrainerOptions { Epochs = 15, BatchSize = 100, TotalAnnealSteps = 2000, Seed = 1 })
            .Train(model, data, new Progress(epochs.Add));

        var popularity = RecommendationEvaluator.Evaluate(new PopularityRecommender(data.Train), data.Test).MeanNdcg(100);
        var vae = RecommendationEvaluator.Evaluate(model, data.Test).MeanNdcg(100);

        vae.Should().BeGreaterThan(1.5 * popularity, $"popularity's NDCG@100 is {popularity:F4}");
        epochs.Should().HaveCount(15);
        result.BestValidationNdcg.Should().Be(epochs.Max(e => e.ValidationNdcg));
        epochs[result.BestEpoch - 1].IsBest.Should().BeTrue();
        // The model holds the best epoch's weights.
        RecommendationEvaluator.Evaluate(model, data.Validation).MeanNdcg(100).Should().BeApproximately(result.BestValidationNdcg!.Value, 1e-9);
    }

    [Fact]
    public void PatienceStopsAfterEpochsWithoutImprovement()
    {
        var data = SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 600, ItemCount = 100, TopicCount = 5 }).Split();
        using var model = new MultVae(data.ItemIds, Tiny, seed: 1);
        var result = new MultVaeTrainer(new MultVaeTrainerOptions { Epochs = 200, BatchSize = 50, LearningRate = 0.05, Patience = 2 }).Train(model, data);

        result.StoppedEarly.Should().BeTrue();
        result.Epochs.Should().HaveCount(result.BestEpoch + 2);
    }

    [Fact]
    public void CancellingKeepsTheBestWeightsSoFar()
    {
        var data = SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 600, ItemCount = 100, TopicCount = 5 }).Split();
        using var model = new MultVae(data.ItemIds, Tiny, seed: 1);
        using var cancel = new CancellationTokenSource();
        var epochs = new List<MultVaeEpoch>();

        var act = () => new MultVaeTrainer(new MultVaeTrainerOptions { Epochs = 50, BatchSize = 50 })
            .Train(model, data, new Progress(e => { epochs.Add(e); if (e.Epoch == 2) cancel.Cancel(); }), cancel.Token);

        act.Should().Throw<OperationCanceledException>();
        epochs.Should().HaveCount(2);
        var best = epochs.Where(e => e.IsBest).Last();
        RecommendationEvaluator.Evaluate(model, data.Validation).MeanNdcg(100).Should().BeApproximately(best.ValidationNdcg!.Value, 1e-9);
    }

    [Fact]
    public void RecommendListsTheBestUnseenItemsOfTheScores()
    {
        var clicks = RandomClicks(5, 20, seed: 9);
        using var model = new MultVae(Ids(20), Tiny, seed: 3);

        var lists = model.Recommend(clicks, k: 4, batchSize: 2);

        lists.Should().HaveCount(5);
        using var scores = model.Score(clicks, 0, 5);
        var all = scores.data<float>().ToArray();
        foreach (var list in lists)
        {
            var expected = Enumerable.Range(0, 20).Where(i => !clicks.Contains(list.User, i))
                .OrderByDescending(i => all[list.User * 20 + i]).Take(4).ToArray();
            list.Items.Should().Equal(expected);
            list.Scores.Should().Equal(expected.Select(i => all[list.User * 20 + i]), (x, y) => Math.Abs(x - y) < 1e-6f);
        }
    }

    [Fact]
    public void AUserWhoHasSeenAlmostEverythingGetsFewerItems()
    {
        var clicks = ClickMatrix.FromPairs(1, 4, [0, 0, 0], [0, 1, 3]);
        using var model = new MultVae(Ids(4), Tiny, seed: 3);

        model.Recommend(clicks, k: 3).Single().Items.Should().Equal(2);
    }

    [Fact]
    public void OneUserIsRecommendedFromItemIdsInTheCataloguesOwnIdsAsTheClickMatrixWouldGive()
    {
        var ids = Enumerable.Range(0, 20).Select(i => $"movie-{i * 7}").ToArray();
        using var model = new MultVae(ids, Tiny, seed: 5);
        var byMatrix = model.Recommend(ClickMatrix.FromPairs(1, 20, [0, 0, 0], [2, 5, 11]), k: 4).Single();

        var byIds = model.Recommend(["movie-77", "movie-14", "movie-35", "movie-14"], k: 4);

        byIds.Select(r => r.ItemId).Should().Equal(byMatrix.Items.Select(i => ids[i]));
        byIds.Select(r => r.Score).Should().Equal(byMatrix.Scores);
        byIds.Select(r => r.ItemId).Should().NotContain(["movie-14", "movie-35", "movie-77"]);
        model.Recommend([], k: 2).Should().HaveCount(2);
    }

    [Fact]
    public void AnUnknownItemIdIsNamedOrLeftOutWhenAskedTo()
    {
        using var model = new MultVae(Ids(10), Tiny, seed: 5);
        var unknown = () => model.Recommend(["item3", "new-item"], k: 3);
        unknown.Should().Throw<ArgumentException>().WithMessage("*catalogue of 10 items*'new-item'*ignoreUnknownItems*");
        model.Recommend(["item3", "new-item"], k: 3, ignoreUnknownItems: true).Select(r => r.ItemId)
            .Should().Equal(model.Recommend(["item3"], k: 3).Select(r => r.ItemId));
    }

    [Fact]
    public void ALoadedModelRecommendsByTheIdsItWasSavedWith()
    {
        using var model = new MultVae(Ids(12), Tiny, seed: 8);
        using var folder = new TempFolder();
        var path = folder.File("multvae.bin");
        model.Save(path);
        using var loaded = MultVae.Load(path);
        var expected = model.Recommend(["item1", "item4"], k: 5);
        var actual = loaded.Recommend(["item1", "item4"], k: 5);
        actual.Select(r => r.ItemId).Should().Equal(expected.Select(r => r.ItemId));
        actual.Select(r => r.Score).Should().Equal(expected.Select(r => r.Score), (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void ASavedModelLoadsWithTheSameScoresIdsAndOptions()
    {
        var clicks = RandomClicks(4, 25, seed: 1);
        using var model = new MultVae(Ids(25), Tiny with { InputDropout = 0.3 }, seed: 7);
        using var folder = new TempFolder();
        var path = folder.File("multvae.bin");
        model.Save(path);
        using var loaded = MultVae.Load(path);

        loaded.ItemIds.Should().Equal(model.ItemIds);
        loaded.Options.HiddenSizes.Should().Equal(7);
        loaded.Options.InputDropout.Should().Be(0.3);
        using var expected = model.Score(clicks, 0, 4);
        using var actual = loaded.Score(clicks, 0, 4);
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();

        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var act = () => MultVae.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{path}*");
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var act = () => new MultVae(["a", "a"]);
        act.Should().Throw<ArgumentException>().WithMessage("*'a' is listed twice*");
        act = () => new MultVae(["a"], new MultVaeOptions { HiddenSizes = [0] });
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Hidden layer 0*");
        using var model = new MultVae(Ids(3), Tiny);
        var score = () => model.Score(ClickMatrix.Empty(2, 4), 0, 2);
        score.Should().Throw<ArgumentException>().WithMessage("*4 items*3*");
        var train = () => new MultVaeTrainer(new MultVaeTrainerOptions { BatchSize = 0 });
        train.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*BatchSize*");
        var load = () => MultVae.Load("/nonexistent/model.bin");
        load.Should().Throw<FileNotFoundException>().WithMessage("*/nonexistent/model.bin*");
    }

    private sealed class Progress(Action<MultVaeEpoch> report) : IProgress<MultVaeEpoch>
    {
        public void Report(MultVaeEpoch value) => report(value);
    }
}
