using Vae.Core.TimeSeries;
using Vae.Samples.Tests;

namespace Vae.TimeSeries.Tests;

/// <summary>The streaming detector's promises: no look-ahead, bit-for-bit restore, missing points, irregular series, the calibrated score.</summary>
public sealed class TimeSeriesDetectorTests
{
    private const int Count = 400;
    private const int Training = 120;

    /// <summary>Small and quick, the same for every test.</summary>
    private static readonly TimeSeriesDetectorOptions Quick = new() { WindowSize = 16, HiddenSizes = [16], LatentSize = 3, Epochs = 4, BatchSize = 32, CalibrationHistory = 200, SuppressionPoints = 0, LevelShiftWindow = 60 };
    // The streaming scores are on: range and level shift from the start, the seasonal one (a day of 288 points) for the last hundred points.

    private static TimeSeriesScore[] RunAll(IReadOnlyList<DateTime> timestamps, IReadOnlyList<double[]> rows, TimeSeriesDetectorOptions? options = null)
    {
        using var detector = TimeSeriesDetector.Run(timestamps, rows, Training, options ?? Quick, out var scores);
        return scores;
    }

    private static long[] Bits(IEnumerable<TimeSeriesScore> scores) =>
        scores.SelectMany(s => new[] { BitConverter.DoubleToInt64Bits(s.RawScore), BitConverter.DoubleToInt64Bits(s.Score) }).ToArray();

    [Theory]
    [InlineData(Training)]
    [InlineData(200)]
    [InlineData(Count - 1)]
    public void ChangingAnyLaterPartLeavesEveryEarlierScoreUnchanged(int from)
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        var rows = SyntheticSeries.Rows(Count);
        var changed = rows.Select((r, i) => i >= from ? new[] { r[0] * -3 + 1000 } : r).ToArray();

        var original = RunAll(timestamps, rows);
        var other = RunAll(timestamps, changed);

        Bits(other.Take(from)).Should().Equal(Bits(original.Take(from)));
        // The change is seen from where it starts: the test could fail.
        other[from].RawScore.Should().NotBe(original[from].RawScore);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60)]
    public void ARestoredDetectorContinuesBitForBit(int retrainEvery)
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        var rows = SyntheticSeries.Rows(Count, columns: 2);
        rows[240] = [double.NaN, rows[240][1]];
        rows[245] = [double.NaN, double.NaN];
        var options = Quick with { SuppressionPoints = 5, Threshold = 0.05, RetrainEvery = retrainEvery, RetrainPoints = 100, RetrainEpochs = 2 };
        using var whole = TimeSeriesDetector.Train(timestamps[..Training], rows[..Training], options);
        var uninterrupted = whole.ObserveMany(timestamps[Training..], rows[Training..]);

        using var first = TimeSeriesDetector.Train(timestamps[..Training], rows[..Training], options);
        var before = first.ObserveMany(timestamps[Training..250], rows[Training..250]);
        using var file = new MemoryStream();
        first.Save(file);
        file.Position = 0;
        using var restored = TimeSeriesDetector.Load(file);
        var after = restored.ObserveMany(timestamps[250..], rows[250..]);
        var continued = first.ObserveMany(timestamps[250..], rows[250..]);

        restored.ObservedRows.Should().Be(Count);
        Bits(after).Should().Equal(Bits(continued));
        Bits(before.Concat(after)).Should().Equal(Bits(uninterrupted));
        restored.Options.Should().BeEquivalentTo(options);
        restored.Means.Should().Equal(first.Means);
    }

    [Fact]
    public void ASavedFileIsAVaeModelFileWithTheDetectorAttached()
    {
        using var folder = new TempFolder();
        var path = folder.File("ts.vae");
        using (var detector = TimeSeriesDetector.Train(SyntheticSeries.Timestamps(Training), SyntheticSeries.Rows(Training), Quick)) detector.Save(path);
        Vae.Core.VaeModelFile.ReadAttachments(path).Should().ContainKey(TimeSeriesDetector.AttachmentName);
        using var model = Vae.Core.VaeModelFile.Load(path);
        model.Options.InputSize.Should().Be(Quick.WindowSize);

        using var plain = new MemoryStream();
        Vae.Core.VaeModelFile.Save(model, plain);
        plain.Position = 0;
        var load = () => TimeSeriesDetector.Load(plain, "plain.vae");
        load.Should().Throw<InvalidDataException>().WithMessage($"*plain.vae*{TimeSeriesDetector.AttachmentName}*");
    }

    [Fact]
    public void RetrainingChangesLaterScoresButNeverEarlierOnes()
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        var rows = SyntheticSeries.Rows(Count);
        var retraining = Quick with { RetrainEvery = 100, RetrainPoints = 100, RetrainEpochs = 2 };

        var plain = RunAll(timestamps, rows);
        var retrained = RunAll(timestamps, rows, retraining);
        var changed = RunAll(timestamps, rows.Select((r, i) => i >= 300 ? new[] { -r[0] } : r).ToArray(), retraining);

        // The first retraining follows the 100th observed point: scores up to it are the plain detector's.
        Bits(retrained.Take(Training + 100)).Should().Equal(Bits(plain.Take(Training + 100)));
        retrained[Training + 100].RawScore.Should().NotBe(plain[Training + 100].RawScore);
        Bits(changed.Take(300)).Should().Equal(Bits(retrained.Take(300)));
    }

    [Fact]
    public void MissingValuesAreFilledMarkedAndNotScored()
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        var rows = SyntheticSeries.Rows(Count, columns: 2);
        foreach (var i in new[] { 30, 31, 200, 201, 202, 300 }) rows[i] = [double.NaN, double.NaN];
        rows[250] = [double.NaN, rows[250][1]];

        var scores = RunAll(timestamps, rows);

        foreach (var i in new[] { 200, 201, 202, 300 })
        {
            scores[i].IsMissing.Should().BeTrue();
            scores[i].Score.Should().Be(0);
            scores[i].RawScore.Should().Be(double.NaN);
        }
        scores[250].IsMissing.Should().BeFalse("one column is still observed");
        double.IsFinite(scores[250].RawScore).Should().BeTrue();
        scores.Skip(Training).Where(s => !s.IsMissing).Should().OnlyContain(s => double.IsFinite(s.RawScore) && s.Score >= 0 && s.Score <= 1);
        scores[203].RawScore.Should().BeLessThan(50, "the missing points before it are imputed, not scored as zeros");
    }

    [Fact]
    public void AGapInARegularSeriesIsFilledAndScoredAsMissingPoints()
    {
        var all = SyntheticSeries.Timestamps(Count + 5);
        var rows = SyntheticSeries.Rows(Count + 5);
        // Rows 300 to 304 never arrive: the next row comes six intervals after row 299.
        var timestamps = all.Take(300).Concat(all.Skip(305)).ToArray();
        var values = rows.Take(300).Concat(rows.Skip(305)).ToArray();

        using var detector = TimeSeriesDetector.Run(timestamps, values, Training, Quick, out var scores);

        detector.Interval.Should().Be(SyntheticSeries.Step);
        scores.Should().HaveCount(Count);
        double.IsFinite(scores[300].RawScore).Should().BeTrue();
        scores[300].IsMissing.Should().BeFalse();
        // The gap is part of the window: the score differs from that of the same row without the gap.
        var noGap = RunAll(all.Take(300).Append(all[300]).ToArray(), rows.Take(300).Append(rows[305]).ToArray());
        scores[300].RawScore.Should().NotBe(noGap[300].RawScore);
    }

    [Fact]
    public void AnIrregularSeriesIsAnErrorNamingTheRow()
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        timestamps[300] = timestamps[299] + (1.5 * SyntheticSeries.Step);
        for (var i = 301; i < Count; i++) timestamps[i] = timestamps[i - 1] + SyntheticSeries.Step;
        var rows = SyntheticSeries.Rows(Count);

        var run = () => TimeSeriesDetector.Run(timestamps, rows, Training, Quick, out _, "cpu.csv");

        run.Should().Throw<ArgumentException>().WithMessage("cpu.csv: Row 301 (2024-01-02 01:02:30)*not a whole number of the series' interval 00:05:00*irregular*Sequential*");
        // Read one after another, the same rows are scored.
        RunAll(timestamps, rows, Quick with { Timestamps = TimeSeriesTimestamps.Sequential }).Should().HaveCount(Count);
    }

    [Fact]
    public void TimestampsGoingBackAreAnErrorNamingTheRowAndLeaveTheDetectorUnchanged()
    {
        using var detector = TimeSeriesDetector.Train(SyntheticSeries.Timestamps(Training), SyntheticSeries.Rows(Training), Quick);
        var observe = () => detector.Observe(SyntheticSeries.Start, 50.0);

        observe.Should().Throw<ArgumentException>().WithMessage($"Row {Training + 1} (2024-01-01 00:00:00) is not after the previous row*");
        detector.ObservedRows.Should().Be(Training);
        var twoValues = () => detector.Observe(SyntheticSeries.Start + (Training * SyntheticSeries.Step), [1.0, 2.0]);
        twoValues.Should().Throw<ArgumentException>().WithMessage("*2 values; the detector has 1 columns*");
    }

    [Fact]
    public void TheCalibratedScoreIsInZeroOneAndHighOnASpike()
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        var rows = SyntheticSeries.Rows(Count);
        rows[300] = [rows[300][0] + 40];
        rows[301] = [-1e12];

        var scores = RunAll(timestamps, rows);

        scores.Should().OnlyContain(s => s.Score >= 0 && s.Score <= 1);
        scores.Take(Training).Should().OnlyContain(s => s.IsTraining && s.Score == 0);
        scores[300].Score.Should().BeGreaterThan(Quick.Threshold);
        scores[300].IsAnomaly.Should().BeTrue();
        scores[301].Score.Should().BeGreaterThan(Quick.Threshold);
        var quiet = scores.Skip(Training).Take(300 - Training).Select(s => s.Score).Order().ToArray();
        quiet[quiet.Length / 2].Should().BeLessThan(0.05, "a typical point is not an anomaly");
    }

    [Fact]
    public void AfterAnAnomalyTheNextPointsAreSuppressedButKeepTheirRawScores()
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        var rows = SyntheticSeries.Rows(Count);
        rows[300] = [rows[300][0] + 40];
        rows[301] = [-1e12];
        rows[320] = [-1e12];

        // The VAE's score point by point, without the level-shift score, which the absurd value at 301 keeps high for
        // its short average's points.
        var options = Quick with { LevelShiftPoints = 0, ShortAverage = 1 };
        var plain = RunAll(timestamps, rows, options);
        var suppressed = RunAll(timestamps, rows, options with { SuppressionPoints = 10 });

        suppressed[300].IsAnomaly.Should().BeTrue();
        suppressed[301].IsAnomaly.Should().BeFalse();
        suppressed[301].Score.Should().BeLessThan(Quick.Threshold).And.BeGreaterThan(Quick.Threshold - 1e-6);
        suppressed[301].RawScore.Should().Be(plain[301].RawScore);
        suppressed[320].IsAnomaly.Should().BeTrue("the suppression has ended");
    }

    [Fact]
    public void TrainingIsDeterministicWithASeedAndDependsOnIt()
    {
        var timestamps = SyntheticSeries.Timestamps(Count);
        var rows = SyntheticSeries.Rows(Count);

        Bits(RunAll(timestamps, rows)).Should().Equal(Bits(RunAll(timestamps, rows)));
        Bits(RunAll(timestamps, rows, Quick with { Seed = 2 })).Should().NotEqual(Bits(RunAll(timestamps, rows)));
    }

    [Theory]
    [InlineData(-40, 0)]
    [InlineData(0, 0.30103)]
    [InlineData(1.959964, 1.60206)]
    [InlineData(10, 23.1181)]
    [InlineData(40, 349.435)]
    public void TheTailProbabilityIsTheNormalsInLogForm(double z, double expected)
    {
        TailProbability.NegativeLog10UpperTail(z).Should().BeApproximately(expected, Math.Max(1e-4, expected * 1e-3));
    }
}
