using Vae.Core.Recommendation;
using Vae.Samples.Tests;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>RecVAE: its loss terms against direct formulas, alternating training on the trainer, resume, save and load.</summary>
public sealed class RecVaeTests : IDisposable
{
    private static readonly RecVaeOptions Small = new() { HiddenSize = 12, LatentSize = 4 };
    private readonly TempFolder temp = new();
    private readonly ImplicitFeedbackData data =
        SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 400, ItemCount = 60, TopicCount = 5, Seed = 3 }).Split();

    public void Dispose() => temp.Dispose();

    private static RecVaeTrainerOptions Options(string? checkpoint = null) =>
        new() { Epochs = 4, BatchSize = 50, Seed = 5, CheckpointPath = checkpoint };

    private static double LogNormal(double z, double mean, double logVariance) =>
        -0.5 * (logVariance + Math.Log(2 * Math.PI) + (z - mean) * (z - mean) / Math.Exp(logVariance));

    private static double CompositeDirect(double z, double mean, double logVariance)
    {
        var terms = new[] { Math.Log(3.0 / 20) + LogNormal(z, 0, 0), Math.Log(3.0 / 4) + LogNormal(z, mean, logVariance), Math.Log(1.0 / 10) + LogNormal(z, 0, 10) };
        var max = terms.Max();
        return max + Math.Log(terms.Sum(t => Math.Exp(t - max)));
    }

    [Fact]
    public void BothVaesRecommendThroughTheirSharedBaseAndRefuseEveryCallOnceDisposed()
    {
        VaeRecommender[] models =
        [
            new MultVae(data.ItemIds, new MultVaeOptions { HiddenSizes = [12], LatentSize = 4 }, seed: 1),
            new RecVae(data.ItemIds, Small, seed: 1),
        ];
        foreach (var model in models)
        {
            var clicked = data.ItemIds.Take(3).ToArray();
            var byIds = model.Recommend(clicked, k: 5);
            byIds.Should().HaveCount(5);
            byIds.Select(r => r.ItemId).Should().NotIntersectWith(clicked);
            var byRows = model.Recommend(ClickMatrix.FromPairs(1, model.ItemCount, [0, 0, 0], [0, 1, 2]), k: 5)[0];
            byRows.Items.Select(i => model.ItemIds[i]).Should().Equal(byIds.Select(r => r.ItemId));
            model.Dispose();
            model.Dispose();
            model.Invoking(m => m.Recommend(clicked, 5)).Should().Throw<ObjectDisposedException>();
            model.Invoking(m => m.Score(data.Test.FoldIn, 0, 1)).Should().Throw<ObjectDisposedException>();
            model.Invoking(m => m.Save(temp.File("disposed.model"))).Should().Throw<ObjectDisposedException>();
        }
    }

    [Fact]
    public void TheCompositePriorIsTheLogOfTheWeightedSumOfTheThreeGaussians()
    {
        float[] z = [0.3f, -2.5f, 7f, 40f, -0.01f, 1.5f];
        float[] mean = [0.1f, 1f, -3f, 0.5f, 0f, 1.4f];
        float[] logVariance = [-1f, 0.5f, 2f, -3f, 0f, -6f];
        using var scope = NewDisposeScope();
        var density = RecVae.CompositePriorLogDensity(tensor(z), tensor(mean), tensor(logVariance), new RecVaeOptions()).data<float>().ToArray();
        for (var i = 0; i < z.Length; i++)
            density[i].Should().BeApproximately((float)CompositeDirect(z[i], mean[i], logVariance[i]), 1e-4f, $"z = {z[i]}");
    }

    [Fact]
    public void TheKlTermWeighsEveryUsersEstimateByGammaTimesTheirClicks()
    {
        // Two users, two latent dimensions.
        float[,] z = { { 0.2f, -0.7f }, { 1.1f, 0.4f } };
        float[,] mean = { { 0.1f, -0.5f }, { 0.9f, 0.2f } };
        float[,] logVariance = { { -0.3f, 0.2f }, { -1f, 0.1f } };
        float[,] priorMean = { { 0f, -0.4f }, { 1f, 0.5f } };
        float[,] priorLogVariance = { { 0.1f, -0.2f }, { -0.5f, 0f } };
        double[] clicks = [7, 30];
        const double gamma = 0.005;
        using var scope = NewDisposeScope();
        var weights = tensor(clicks.Select(c => (float)(gamma * c)).ToArray());
        var (perUser, term) = RecVae.KlTerm(tensor(z), tensor(mean), tensor(logVariance), tensor(priorMean), tensor(priorLogVariance), weights, new RecVaeOptions());

        var expected = new double[2];
        for (var u = 0; u < 2; u++)
            for (var d = 0; d < 2; d++)
                expected[u] += LogNormal(z[u, d], mean[u, d], logVariance[u, d]) - CompositeDirect(z[u, d], priorMean[u, d], priorLogVariance[u, d]);
        perUser.data<float>().ToArray().Select(v => (double)v).Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-5);
        term.item<float>().Should().BeApproximately((float)((gamma * clicks[0] * expected[0] + gamma * clicks[1] * expected[1]) / 2), 1e-6f);
    }

    [Fact]
    public void TheEncoderFeedsEveryLayerTheSumOfTheEarlierLayersOutputs()
    {
        using var model = new RecVae(["a", "b", "c"], new RecVaeOptions { HiddenSize = 3, LatentSize = 2 }, seed: 4);
        using var scope = NewDisposeScope();
        var first = tensor(new float[] { 0.4f, -1.2f, 2f, 0.1f, 0.3f, -0.6f }, [2, 3]);
        var (mean, logVariance) = RecVae.Encode(first, model.Encoder, 0.1);

        // Directly, in doubles: swish, layer norm with eps 0.1, dense sums.
        var e = model.Encoder.Select(t => t.to_type(ScalarType.Float64).data<double>().ToArray()).ToArray();
        double[] Swish(double[] x) => x.Select(v => v / (1 + Math.Exp(-v))).ToArray();
        double[] Norm(double[] x, int layer)
        {
            var m = x.Average();
            var variance = x.Select(v => (v - m) * (v - m)).Average();
            return x.Select((v, i) => (v - m) / Math.Sqrt(variance + 0.1) * e[10 + 2 * layer][i] + e[11 + 2 * layer][i]).ToArray();
        }
        double[] Linear(double[] x, double[] w, double[] b, int outputs) =>
            Enumerable.Range(0, outputs).Select(j => b[j] + x.Select((v, i) => v * w[i * outputs + j]).Sum()).ToArray();
        var firstRows = first.to_type(ScalarType.Float64).data<double>().ToArray();
        for (var u = 0; u < 2; u++)
        {
            var outputs = new List<double[]> { Norm(Swish(firstRows.Skip(3 * u).Take(3).ToArray()), 0) };
            for (var k = 0; k < 4; k++)
            {
                var linear = Linear(outputs[^1], e[2 + 2 * k], e[3 + 2 * k], 3);
                var summed = linear.Select((v, i) => v + outputs.Sum(o => o[i])).ToArray();
                outputs.Add(Norm(Swish(summed), k + 1));
            }
            var expectedMean = Linear(outputs[^1], e[20], e[21], 2);
            var expectedLogVariance = Linear(outputs[^1], e[22], e[23], 2);
            for (var d = 0; d < 2; d++)
            {
                mean[u, d].item<float>().Should().BeApproximately((float)expectedMean[d], 1e-5f);
                logVariance[u, d].item<float>().Should().BeApproximately((float)expectedLogVariance[d], 1e-5f);
            }
        }
    }

    [Fact]
    public void PredictingDroppedClicksScoresAnEncoderPassOnTheClicksItsDropoutRemovedAlone()
    {
        using var model = new RecVae(data.ItemIds, Small, seed: 1);
        var batch = data.Train.SliceRows(0, 8);
        var keep = Enumerable.Range(0, batch.ClickCount).Select(c => c % 3 != 0).ToArray();
        var weights = MultVaeLayers.InputWeights(batch, 0.5, keep);
        var targets = RecVaeStep.DroppedClicks(batch, keep);
        using var adam = new FlatAdam(model.Parameters, 1e-3);
        adam.AttachGradients(model.Parameters);
        using var generator = new Generator(1);
        using var step = new RecVaeStep(model, new TrainingSetup(new VaeTrainerOptions(), generator, adam), new RecVaeTrainerOptions { PredictDroppedClicks = true });
        using var scope = NewDisposeScope();
        var noise = zeros(8, Small.LatentSize);
        var dropped = step.ComputeGradients(batch, weights, noise, 0.005, encoderPass: true, targets).NegativeLogLikelihood;
        var every = step.ComputeGradients(batch, weights, noise, 0.005, encoderPass: true).NegativeLogLikelihood;

        // Directly: z is the posterior mean (no noise), the log-softmax of W z + b summed over the dropped clicks alone.
        var (mean, _) = RecVae.Encode(RecVae.InputLayer(batch, weights, model.Encoder), model.Encoder, Small.LayerNormEpsilon);
        var logSoftmax = mean.mm(model.OutputWeight.t()).add(model.OutputBias).log_softmax(1).to_type(ScalarType.Float64).data<double>().ToArray();
        double expectedDropped = 0, expectedEvery = 0;
        var rows = batch.RowPointers;
        for (var u = 0; u < 8; u++)
        {
            for (var c = rows[u]; c < rows[u + 1]; c++)
            {
                var term = -logSoftmax[u * model.ItemCount + batch.ItemIndices[c]] / 8;
                expectedEvery += term;
                if (!keep[c]) expectedDropped += term;
            }
        }
        dropped.Should().BeApproximately(expectedDropped, 1e-3);
        every.Should().BeApproximately(expectedEvery, 1e-3);
        dropped.Should().BeLessThan(0.5 * every, "about a third of the clicks were dropped");
    }

    [Fact]
    public void PredictingDroppedClicksChangesWhatTheEncoderLearnsAndNotTheDecoderPassesLoss()
    {
        TrainingResult Train(bool predictDropped, out float[] encoder)
        {
            using var model = new RecVae(data.ItemIds, Small, seed: 1);
            using var trainer = new RecVaeTrainer(Options() with { Epochs = 1, PredictDroppedClicks = predictDropped }).CreateTrainer(model);
            var result = trainer.Fit(data.Train, data.Validation);
            encoder = model.Encoder[2].detach().data<float>().ToArray();
            return result;
        }
        var reference = Train(false, out var referenceEncoder);
        var dropped = Train(true, out var droppedEncoder);

        droppedEncoder.Should().NotEqual(referenceEncoder);
        // The encoder passes' likelihood counts about half of the clicks (dropout 0.5), the decoder pass's all of them.
        dropped.History[0].Train.Reconstruction.Should().BeLessThan(0.7 * reference.History[0].Train.Reconstruction);
        dropped.History[3].Train.Reconstruction.Should().BeInRange(0.9 * reference.History[3].Train.Reconstruction, 1.1 * reference.History[3].Train.Reconstruction);
    }

    [Fact]
    public void EncoderPassesChangeOnlyTheEncoderAndDecoderPassesOnlyTheDecoder()
    {
        using var model = new RecVae(data.ItemIds, Small, seed: 1);
        var decoderBefore = model.OutputWeight.detach().clone();
        var encoderBefore = model.Encoder[2].detach().clone();
        using var trainer = new RecVaeTrainer(Options() with { Epochs = 1 }).CreateTrainer(model);
        var passes = new List<(bool Encoder, bool Decoder)>();
        var progress = new Progress(summary =>
        {
            passes.Add((!TensorAssert.Identical(model.Encoder[2], encoderBefore), !TensorAssert.Identical(model.OutputWeight, decoderBefore)));
            encoderBefore.copy_(model.Encoder[2]);
            decoderBefore.copy_(model.OutputWeight);
        });
        var result = trainer.Fit(data.Train, data.Validation, progress);

        passes.Should().Equal((true, false), (true, false), (true, false), (false, true));
        result.History.Select(h => h.ValidationMetrics is not null).Should().Equal(false, false, false, true);
        // After the encoder passes, the prior's frozen encoder is the encoder.
        TensorAssert.Identical(model.Prior[2], model.Encoder[2]).Should().BeTrue();
    }

    [Fact]
    public void TrainingRaisesValidationNdcgAndKeepsTheBestEpoch()
    {
        using var model = new RecVae(data.ItemIds, Small, seed: 1);
        var result = new RecVaeTrainer(Options() with { Epochs = 6, LearningRate = 3e-3 }).Train(model, data);

        result.Epochs.Should().HaveCount(6);
        result.Epochs.Select(e => e.Epoch).Should().Equal(1, 2, 3, 4, 5, 6);
        result.BestValidationNdcg.Should().Be(result.Epochs.Max(e => e.ValidationNdcg!.Value));
        var random = RecommendationEvaluator.Evaluate(new RecVae(data.ItemIds, Small, seed: 8), data.Validation).MeanNdcg(100);
        result.BestValidationNdcg!.Value.Should().BeGreaterThan(random + 0.05);
        var again = RecommendationEvaluator.Evaluate(model, data.Validation).MeanNdcg(100);
        again.Should().BeApproximately(result.BestValidationNdcg.Value, 1e-9);
        // An epoch trains every user once, over the seconds of all four of its passes (as the PyTorch reference counts).
        foreach (var epoch in result.Epochs)
            (epoch.UsersPerSecond * epoch.TrainingSeconds).Should().BeApproximately(data.Train.UserCount, 1e-6 * data.Train.UserCount);
        (result.TrainingUsersPerSecond * result.Epochs.Sum(e => e.TrainingSeconds)).Should().BeApproximately(6.0 * data.Train.UserCount, 1e-5 * data.Train.UserCount);
    }

    [Fact]
    public void ACosineScheduleAnnealsBothOptimisersOverEveryPassOfTheRun()
    {
        using var model = new RecVae(data.ItemIds, Small, seed: 1);
        var rates = new List<double>();
        var options = Options() with { Epochs = 2, LearningRateSchedule = new CosineAnnealingSchedule(), Callbacks = [new RateRecorder(rates)] };
        new RecVaeTrainer(options).Train(model, data);

        // Two RecVAE epochs of three encoder passes and one decoder pass: eight passes, the cosine over all eight.
        var expected = Enumerable.Range(1, 8).Select(pass => 5e-4 * (1 + Math.Cos(Math.PI * (pass - 1) / 8)) / 2);
        rates.Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-12);
        var bad = () => new RecVaeTrainer(Options() with { LearningRateSchedule = new CosineAnnealingSchedule { Epochs = 0 } });
        bad.Should().Throw<ArgumentException>().WithMessage("*CosineAnnealingSchedule.Epochs*");
    }

    [Fact]
    public void WeightDecayShrinksTheWeightsOfAnOtherwiseIdenticalRun()
    {
        using var plain = new RecVae(data.ItemIds, Small, seed: 1);
        new RecVaeTrainer(Options() with { Epochs = 1 }).Train(plain, data);
        using var decayed = new RecVae(data.ItemIds, Small, seed: 1);
        new RecVaeTrainer(Options() with { Epochs = 1, WeightDecay = 200 }).Train(decayed, data);

        // 200 x 5e-4 = 0.1 off every weight per step: the decoder's weights end far smaller.
        var plainNorm = plain.NamedWeights["decoder.weight"].norm().item<float>();
        var decayedNorm = decayed.NamedWeights["decoder.weight"].norm().item<float>();
        decayedNorm.Should().BeLessThan(0.5f * plainNorm);
        var bad = () => new RecVaeTrainer(Options() with { WeightDecay = -1 });
        bad.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("WeightDecay");
    }

    [Fact]
    public void AWeightAverageTrainsTheSameStepsAndValidatesAndKeepsTheAverage()
    {
        using var plain = new RecVae(data.ItemIds, Small, seed: 1);
        var plainResult = new RecVaeTrainer(Options() with { Epochs = 3 }).Train(plain, data);
        using var averaged = new RecVae(data.ItemIds, Small, seed: 1);
        var averagedResult = new RecVaeTrainer(Options() with { Epochs = 3, WeightAverageDecay = 0.9 }).Train(averaged, data);

        // The optimisers step the weights as without the average (the same losses), but validation ranks with the average.
        averagedResult.Epochs.Select(e => e.Loss).Should().Equal(plainResult.Epochs.Select(e => e.Loss));
        averagedResult.Epochs.Select(e => e.ValidationNdcg).Should().NotEqual(plainResult.Epochs.Select(e => e.ValidationNdcg));
        var ndcg = RecommendationEvaluator.Evaluate(averaged, data.Validation, new RankingOptions { NdcgCutoffs = [100], RecallCutoffs = [] }).MeanNdcg(100);
        ndcg.Should().BeApproximately(averagedResult.BestValidationNdcg!.Value, 1e-6, "the model holds the best epoch's average");
        var bad = () => new RecVaeTrainer(Options() with { WeightAverageDecay = 1 });
        bad.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("WeightAverageDecay");
    }

    [Fact]
    public void TwoEpochsWithAWeightAverageAndAResumeEndWithTheWeightsOfFourEpochsBitForBit()
    {
        var options = Options() with { WeightAverageDecay = 0.9 };
        using var straight = new RecVae(data.ItemIds, Small, seed: 1);
        var full = new RecVaeTrainer(options).Train(straight, data);

        var checkpoint = temp.File("averaged.checkpoint");
        using (var first = new RecVae(data.ItemIds, Small, seed: 1))
            new RecVaeTrainer(options with { Epochs = 2, CheckpointPath = checkpoint }).Train(first, data);
        using var resumedModel = new RecVae(data.ItemIds, Small, seed: 99);
        var resumed = new RecVaeTrainer(options).Resume(resumedModel, data, checkpoint);

        resumed.Epochs.Select(e => e.ValidationNdcg).Should().Equal(full.Epochs.Select(e => e.ValidationNdcg));
        foreach (var (name, weight) in straight.NamedWeights)
            TensorAssert.Identical(resumedModel.NamedWeights[name], weight).Should().BeTrue(name);
    }

    private sealed class RateRecorder(List<double> rates) : ITrainingCallback
    {
        public void OnEpochEnd(EpochContext context) => rates.Add(context.Summary.LearningRate);
    }

    [Fact]
    public void TwoEpochsAndAResumeFromTheirCheckpointEndWithTheWeightsOfFourEpochsBitForBit()
    {
        using var straight = new RecVae(data.ItemIds, Small, seed: 1);
        var full = new RecVaeTrainer(Options()).Train(straight, data);

        var checkpoint = temp.File("half.checkpoint");
        using (var first = new RecVae(data.ItemIds, Small, seed: 1))
            new RecVaeTrainer(Options(checkpoint) with { Epochs = 2 }).Train(first, data);
        using var resumedModel = new RecVae(data.ItemIds, Small, seed: 99);
        var resumed = new RecVaeTrainer(Options()).Resume(resumedModel, data, checkpoint);

        resumed.Epochs.Select(e => e.ValidationNdcg).Should().Equal(full.Epochs.Select(e => e.ValidationNdcg));
        resumed.BestEpoch.Should().Be(full.BestEpoch);
        foreach (var (name, weight) in straight.NamedWeights)
            TensorAssert.Identical(resumedModel.NamedWeights[name], weight).Should().BeTrue(name);
    }

    [Fact]
    public void ACheckpointOfTheDroppedClicksLossIsNotResumedWithTheReferenceLoss()
    {
        var checkpoint = temp.File("dropped.checkpoint");
        using (var first = new RecVae(data.ItemIds, Small, seed: 1))
            new RecVaeTrainer(Options(checkpoint) with { Epochs = 1, PredictDroppedClicks = true }).Train(first, data);
        using var model = new RecVae(data.ItemIds, Small, seed: 1);

        var resume = () => new RecVaeTrainer(Options()).Resume(model, data, checkpoint);

        resume.Should().Throw<InvalidDataException>().WithMessage("*reconstructs the dropped clicks*");
    }

    [Fact]
    public void ACancelledRunResumesMidEpochBitForBit()
    {
        using var straight = new RecVae(data.ItemIds, Small, seed: 1);
        new RecVaeTrainer(Options() with { Epochs = 2 }).Train(straight, data);

        var checkpoint = temp.File("cancelled.checkpoint");
        using var model = new RecVae(data.ItemIds, Small, seed: 1);
        using var cancel = new CancellationTokenSource();
        using var trainer = new RecVaeTrainer(Options(checkpoint) with { Epochs = 2 }).CreateTrainer(model);
        var steps = 0;
        var batches = (data.Train.UserCount + 49) / 50;
        batches.Should().BeGreaterThan(3);
        // Cancelled in the middle of the second epoch's decoder pass.
        var progress = new BatchProgress(() => { if (++steps == 4 * batches + 3 * batches + 3) cancel.Cancel(); });
        var act = () => trainer.Fit(data.Train, data.Validation, progress, cancel.Token);
        act.Should().Throw<OperationCanceledException>();
        new RecVaeTrainer(Options(checkpoint) with { Epochs = 2 }).Resume(model, data, checkpoint);

        foreach (var (name, weight) in straight.NamedWeights)
            TensorAssert.Identical(model.NamedWeights[name], weight).Should().BeTrue(name);
    }

    [Fact]
    public void ASavedModelLoadsWithTheSameScoresAndRecommendsInCatalogueIds()
    {
        using var model = new RecVae(data.ItemIds, Small, seed: 1);
        new RecVaeTrainer(Options() with { Epochs = 2 }).Train(model, data);
        var path = temp.File("model.recvae");
        model.Save(path);
        using var loaded = RecVae.Load(path);

        using var scope = NewDisposeScope();
        TensorAssert.Identical(loaded.Score(data.Test.FoldIn, 0, 20), model.Score(data.Test.FoldIn, 0, 20)).Should().BeTrue();
        var clicked = data.ItemIds.Take(3).ToArray();
        var list = loaded.Recommend(clicked, 5);
        list.Should().HaveCount(5);
        list.Select(r => r.ItemId).Should().NotIntersectWith(clicked).And.OnlyContain(id => data.ItemIds.Contains(id));
        list.Select(r => r.ItemId).Should().Equal(model.Recommend(clicked, 5).Select(r => r.ItemId));

        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 1;
        File.WriteAllBytes(path, bytes);
        var act = () => RecVae.Load(path);
        act.Should().Throw<InvalidDataException>().WithMessage("*model.recvae*");
    }

    private sealed class Progress(Action<EpochSummary> onEpoch) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.CompletedEpoch is { } summary) onEpoch(summary);
        }
    }

    private sealed class BatchProgress(Action onBatch) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.CompletedEpoch is null) onBatch();
        }
    }
}
