namespace Vae.Core.Tests;

public sealed class AnomalyMetricsTests
{
    [Fact]
    public void PerfectSeparationIsOne() =>
        AnomalyMetrics.RocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]).Should().Be(1.0);

    [Fact]
    public void ReversedScoresAreZero() =>
        AnomalyMetrics.RocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]).Should().Be(0.0);

    [Fact]
    public void AllTiedIsOneHalf() =>
        AnomalyMetrics.RocAuc([3.0, 3.0, 3.0, 3.0, 3.0], [true, false, false, true, false]).Should().Be(0.5);

    [Fact]
    public void SmallExampleWorkedByHand()
    {
        // Anomalies score 0.35 and 0.8, normals 0.1 and 0.4. Of the four (anomaly, normal) pairs the anomaly is higher
        // in (0.35, 0.1), (0.8, 0.1) and (0.8, 0.4): 3 / 4.
        AnomalyMetrics.RocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]).Should().Be(0.75);
    }

    [Fact]
    public void SmallExampleWithATieWorkedByHand()
    {
        // Anomalies {2, 3}, normals {1, 2}: pairs (2,1) = 1, (2,2) = 1/2, (3,1) = 1, (3,2) = 1, so 3.5 / 4.
        AnomalyMetrics.RocAuc([1, 2, 2, 3], [false, true, false, true]).Should().Be(0.875);
    }

    [Fact]
    public void AgreesWithThePairwiseCountOnRandomTiedScores()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = random.Next(2, 40);
            var scores = Enumerable.Range(0, n).Select(_ => (double)random.Next(0, 6)).ToArray();
            var labels = Enumerable.Range(0, n).Select(i => i == 0 || (i != 1 && random.Next(2) == 0)).ToArray();
            double wins = 0, pairs = 0;
            for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                if (!labels[i] || labels[j]) continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
            AnomalyMetrics.RocAuc(scores, labels).Should().BeApproximately(wins / pairs, 1e-12);
        }
    }

    [Fact]
    public void OneClassOnlyOrMismatchedLengthsOrNaNAreRejected()
    {
        ((Action)(() => AnomalyMetrics.RocAuc([1, 2], [false, false]))).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("0 anomalies");
        ((Action)(() => AnomalyMetrics.RocAuc([1, 2, 3], [false, true]))).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("3 scores and 2 labels");
        ((Action)(() => AnomalyMetrics.RocAuc([1, double.NaN], [false, true]))).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("scores[1]");
    }

    [Theory]
    [InlineData(50, 2.5)]   // halfway between 2 and 3
    [InlineData(0, 1)]
    [InlineData(100, 4)]
    [InlineData(25, 1.75)]  // position 0.25 * 3 = 0.75: 1 + 0.75 * (2 - 1)
    public void PercentileInterpolatesBetweenOrderStatistics(double percentile, double expected) =>
        AnomalyMetrics.Percentile([4, 1, 3, 2], percentile).Should().BeApproximately(expected, 1e-12);

    [Fact]
    public void NinetyNinthPercentileOfOneToOneHundredAndOne()
    {
        // Position 0.99 * 100 = 99 in the sorted values 1..101 is the value 100.
        AnomalyMetrics.Percentile(Enumerable.Range(1, 101).Select(v => (double)v).Reverse().ToArray(), 99).Should().Be(100);
    }

    // scikit-learn's documented example of average_precision_score.
    [Fact]
    public void AveragePrecisionIsScikitLearns() =>
        AnomalyMetrics.AveragePrecision([0.1, 0.4, 0.35, 0.8], [false, false, true, true]).Should().BeApproximately(5.0 / 6, 1e-12);

    [Fact]
    public void AveragePrecisionCountsTiedScoresTogether()
    {
        AnomalyMetrics.AveragePrecision([0.5, 0.5, 0.5, 0.5], [false, true, false, false]).Should().Be(0.25);
        AnomalyMetrics.AveragePrecision([0.9, 0.8, 0.2, 0.1], [true, true, false, false]).Should().Be(1.0);
    }

    [Fact]
    public void AveragePrecisionRefusesMissingAnomaliesAndNaN()
    {
        FluentActions.Invoking(() => AnomalyMetrics.AveragePrecision([0.1, 0.2], [false, false]))
            .Should().Throw<ArgumentException>().WithMessage("*at least one anomaly*");
        FluentActions.Invoking(() => AnomalyMetrics.AveragePrecision([0.1, double.NaN], [true, false]))
            .Should().Throw<ArgumentException>().WithMessage("*scores[1] is NaN*");
        FluentActions.Invoking(() => AnomalyMetrics.AveragePrecision([0.1], [true, false]))
            .Should().Throw<ArgumentException>().WithMessage("*1 scores and 2 labels*");
    }
}
