using Vae.Core.TimeSeries;

namespace Vae.Core.Tests.TimeSeries;

public sealed class NabScorerTests
{
    private static readonly DateTime Start = new(2020, 1, 1);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>A series of <paramref name="rows"/> rows, one a minute, with windows given as (first row, last row).</summary>
    private static NabSeries Series(int rows, params (int First, int Last)[] windows)
    {
        var timestamps = Enumerable.Range(0, rows).Select(i => Start.AddMinutes(i)).ToArray();
        return new NabSeries("test/series.csv", timestamps, new double[rows],
            windows.Select(w => new NabWindow(timestamps[w.First], timestamps[w.Last])).ToArray());
    }

    private static double[] Detections(int rows, params int[] detected)
    {
        var scores = new double[rows];
        foreach (var row in detected) scores[row] = 1.0;
        return scores;
    }

    [Fact]
    public void TheScaledSigmoidHasNABsValuesAtTheWindowEdges()
    {
        NabScorer.ScaledSigmoid(-1.0).Should().BeApproximately(0.98661, 1e-5);
        NabScorer.ScaledSigmoid(-0.5).Should().BeApproximately(0.84828, 1e-5);
        NabScorer.ScaledSigmoid(0.0).Should().Be(0.0);
        NabScorer.ScaledSigmoid(1.0).Should().BeApproximately(-0.98661, 1e-5);
        NabScorer.ScaledSigmoid(3.0).Should().BeApproximately((2 * Sigmoid(-15)) - 1, 1e-15);
        NabScorer.ScaledSigmoid(3.0001).Should().Be(-1.0);
    }

    [Fact]
    public void AWindowRewardsItsLeftEdgeFullyAndItsRightEdgeLittle()
    {
        // Window over rows 50..59 (width 10) of 100 rows.
        var scores = NabScorer.GetRowScores(Series(100, (50, 59)), NabProfile.Standard);

        scores[50].Should().BeApproximately(1.0, 1e-12);
        // Right edge: position -(59 - 59 + 1) / 10 = -0.1.
        scores[59].Should().BeApproximately(NabScorer.ScaledSigmoid(-0.1) / NabScorer.ScaledSigmoid(-1), 1e-12);
        scores[59].Should().BeInRange(0.2, 0.3);
        scores.Skip(50).Take(10).Should().BeInDescendingOrder();
    }

    [Fact]
    public void FalsePositivesAreWeightedByTheDistanceFromThePrecedingWindow()
    {
        var scores = NabScorer.GetRowScores(Series(100, (50, 59)), NabProfile.Standard);

        // Before any window: -1 times A_FP.
        scores[20].Should().Be(-0.11);
        scores[49].Should().Be(-0.11);
        // After the window: the sigmoid of the distance past its last row in units of (width - 1), times A_FP.
        scores[60].Should().BeApproximately(NabScorer.ScaledSigmoid(1.0 / 9) * 0.11, 1e-15);
        scores[60].Should().BeInRange(-0.11, -0.01);
        scores[68].Should().BeApproximately(NabScorer.ScaledSigmoid(1.0) * 0.11, 1e-15);
        scores[99].Should().Be(-0.11);
        scores.Skip(60).Should().BeInDescendingOrder();

        // The low-FP profile weights them twice as much.
        NabScorer.GetRowScores(Series(100, (50, 59)), NabProfile.RewardLowFalsePositiveRate)[60].Should().BeApproximately(2 * scores[60], 1e-15);
    }

    [Fact]
    public void OnlyTheFirstDetectionInAWindowCounts()
    {
        var series = Series(100, (50, 59));
        var rowScores = NabScorer.GetRowScores(series, NabProfile.Standard);

        var once = NabScorer.ScoreSeries(series, Detections(100, 52), NabProfile.Standard, 0.5);
        var twice = NabScorer.ScoreSeries(series, Detections(100, 52, 55, 58), NabProfile.Standard, 0.5);

        once.Score.Should().BeApproximately(rowScores[52], 1e-15);
        twice.Score.Should().Be(once.Score);
        twice.TruePositives.Should().Be(3);
        twice.FalseNegatives.Should().Be(7);
    }

    [Fact]
    public void AMissedWindowCostsTheFalseNegativeWeight()
    {
        var series = Series(100, (30, 39), (60, 69));
        var none = new double[100];

        NabScorer.ScoreSeries(series, none, NabProfile.Standard, 0.5).Score.Should().Be(-2.0);
        NabScorer.ScoreSeries(series, none, NabProfile.RewardLowFalseNegativeRate, 0.5).Score.Should().Be(-4.0);
        var oneFound = NabScorer.ScoreSeries(series, Detections(100, 30), NabProfile.Standard, 0.5);
        oneFound.Score.Should().BeApproximately(1.0 - 1.0, 1e-12);
    }

    [Fact]
    public void ASeriesWithoutWindowsScoresOnlyItsFalsePositives()
    {
        var series = Series(100);

        NabScorer.ScoreSeries(series, new double[100], NabProfile.Standard, 0.5).Score.Should().Be(0.0);
        var report = NabScorer.ScoreSeries(series, Detections(100, 40, 70), NabProfile.Standard, 0.5);
        report.Score.Should().BeApproximately(-0.22, 1e-15);
        report.FalsePositives.Should().Be(2);
        report.TrueNegatives.Should().Be(83);
        report.TotalCount.Should().Be(85);
    }

    [Theory]
    [InlineData(100, 15)]
    [InlineData(4032, 604)]
    [InlineData(5000, 750)]
    [InlineData(15833, 750)]
    [InlineData(0, 0)]
    public void TheProbationaryPeriodIs15PercentCappedAt750Rows(int rows, int expected)
    {
        NabScorer.GetProbationaryLength(rows).Should().Be(expected);
    }

    [Fact]
    public void RowsInTheProbationaryPeriodAreNotScored()
    {
        var series = Series(100);

        NabScorer.ScoreSeries(series, Detections(100, 0, 14), NabProfile.Standard, 0.5).Score.Should().Be(0.0);
        NabScorer.ScoreSeries(series, Detections(100, 15), NabProfile.Standard, 0.5).Score.Should().Be(-0.11);

        // A window wholly inside the probationary period is neither rewarded nor penalised.
        var early = Series(100, (2, 5));
        NabScorer.ScoreSeries(early, new double[100], NabProfile.Standard, 0.5).Score.Should().Be(0.0);
        NabScorer.ScoreSeries(early, Detections(100, 3), NabProfile.Standard, 0.5).Score.Should().Be(0.0);
    }

    [Fact]
    public void ARowIsADetectionWhenItsScoreReachesTheThreshold()
    {
        var series = Series(100);
        var scores = new double[100];
        scores[50] = 0.7;

        NabScorer.ScoreSeries(series, scores, NabProfile.Standard, 0.7).FalsePositives.Should().Be(1);
        NabScorer.ScoreSeries(series, scores, NabProfile.Standard, 0.70001).FalsePositives.Should().Be(0);
    }

    [Fact]
    public void TheOptimisedThresholdMaximisesTheCorpusTotalAndNormalisesAPerfectDetectorTo100()
    {
        var a = new NabSeries("c/a.csv", Series(100, (50, 59)).Timestamps, new double[100], Series(100, (50, 59)).Windows);
        var b = new NabSeries("c/b.csv", Series(200, (120, 139)).Timestamps, new double[200], Series(200, (120, 139)).Windows);
        var corpus = new NabCorpus([a, b]);
        // 0.9 at each window's first row, 0.6 on two false positives: the best threshold is 0.9.
        var sa = new double[100];
        sa[50] = 0.9;
        sa[80] = 0.6;
        var sb = new double[200];
        sb[120] = 0.9;
        sb[160] = 0.6;
        var scores = new Dictionary<string, IReadOnlyList<double>> { ["c/a.csv"] = sa, ["c/b.csv"] = sb };

        var report = NabScorer.Score(corpus, scores, NabProfile.Standard);

        report.Threshold.Should().Be(0.9);
        report.RawScore.Should().BeApproximately(2.0, 1e-12);
        report.NullScore.Should().Be(-2.0);
        report.PerfectScore.Should().Be(2.0);
        report.NormalizedScore.Should().BeApproximately(100.0, 1e-9);
        NabScorer.Score(corpus, scores, NabProfile.Standard, threshold: 0.5).RawScore.Should().BeLessThan(2.0);
    }

    [Fact]
    public void AWindowThatDoesNotStartOnARowIsRejected()
    {
        var timestamps = Enumerable.Range(0, 10).Select(i => Start.AddMinutes(i)).ToArray();
        var act = () => new NabSeries("x.csv", timestamps, new double[10], [new NabWindow(Start.AddSeconds(30), timestamps[5])]);

        act.Should().Throw<ArgumentException>().WithMessage("*does not start and end*");
    }
}
