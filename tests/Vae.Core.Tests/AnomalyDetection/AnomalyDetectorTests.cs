using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests;

[Collection(TrainedModelCollection.Name)]
public sealed class AnomalyDetectorTests(TrainedModelFixture fixture, ITestOutputHelper output)
{
    private VariationalAutoencoder Model => fixture.Model;

    [Fact]
    public void ElboAtMeanScoreIsReconstructionOfTheDecodedMeanPlusKl()
    {
        using var scope = NewDisposeScope();
        var x = fixture.Test.narrow(0, 0, 15);
        var detector = new AnomalyDetector(Model, threshold: 0);

        var scores = detector.Score(x);

        using var noGrad = no_grad();
        var (mean, logVar) = Model.Encoder.forward(x);
        var expected = ElboLoss.BinaryCrossEntropyWithLogits(Model.Decoder.forward(mean), x, Reduction.None)
                       + ElboLoss.KlDivergence(mean, logVar, Reduction.None);
        scores.Should().Equal(TensorAssert.ToDoubles(expected), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void ImportanceWeightedScoreIsTheNegativeEstimate()
    {
        using var scope = NewDisposeScope();
        var x = fixture.Test.narrow(0, 0, 15);
        var detector = new AnomalyDetector(Model, 0, AnomalyScoreKind.NegativeImportanceWeighted, importanceSamples: 20);
        var scores = detector.Score(x, new Generator(3));
        var estimate = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(Model, x, 20, new Generator(3)));
        scores.Should().Equal(estimate.Select(v => -v));
    }

    [Fact]
    public void ThresholdIsThePercentileOfTheNormalScores()
    {
        var detector = AnomalyDetector.Fit(Model, fixture.Validation, percentile: 99);

        var sorted = new AnomalyDetector(Model, 0).Score(fixture.Validation).OrderBy(v => v).ToArray();
        // 200 scores: the 99th percentile sits at position 0.99 * 199 = 197.01.
        var expected = sorted[197] + 0.01 * (sorted[198] - sorted[197]);
        detector.Threshold.Should().BeApproximately(expected, 1e-9);
        sorted.Count(s => s > detector.Threshold).Should().Be(2);
    }

    [Theory]
    [InlineData(AnomalyScoreKind.NegativeElboAtMean)]
    [InlineData(AnomalyScoreKind.NegativeImportanceWeighted)]
    public void RandomPatternsAreFlaggedAndNormalOnesMostlyNot(AnomalyScoreKind kind)
    {
        var detector = AnomalyDetector.Fit(Model, fixture.Validation, 99, kind, importanceSamples: 50, generator: new Generator(1));
        var normal = detector.Detect(fixture.Test, new Generator(2));
        var anomalous = detector.Detect(fixture.Anomalies, new Generator(3));

        var auc = AnomalyMetrics.RocAuc(
            normal.Concat(anomalous).Select(r => r.Score).ToArray(),
            normal.Select(_ => false).Concat(anomalous.Select(_ => true)).ToArray());
        var flaggedNormal = normal.Count(r => r.IsAnomalous);
        var flaggedAnomalies = anomalous.Count(r => r.IsAnomalous);
        output.WriteLine($"{kind}: threshold {detector.Threshold:F3} nats, AUC {auc:F4}, flagged {flaggedNormal}/100 normal, {flaggedAnomalies}/100 random");

        normal.Concat(anomalous).Should().AllSatisfy(r => r.IsAnomalous.Should().Be(r.Score > detector.Threshold));
        auc.Should().BeGreaterThan(0.9);
        flaggedAnomalies.Should().BeGreaterThan(50);
        flaggedNormal.Should().BeLessThan(10);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        using var scope = NewDisposeScope();
        ((Action)(() => AnomalyDetector.Fit(Model, fixture.Validation, 101))).Should().Throw<ArgumentOutOfRangeException>()
            .Which.ParamName.Should().Be("percentile");
        ((Action)(() => new AnomalyDetector(Model, double.NaN))).Should().Throw<ArgumentException>()
            .Which.ParamName.Should().Be("threshold");
        ((Action)(() => new AnomalyDetector(Model, 0).Score(zeros(2, 3)))).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("[2, 3]");
    }
}
