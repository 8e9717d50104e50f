using Vae.Core.TimeSeries;

namespace Vae.TimeSeries.Tests;

/// <summary>The streaming scores beside the VAE's (range, seasonal, level shift) and the older file format.</summary>
public sealed class StreamScoreTests
{
    private const int Training = 120;

    private static readonly TimeSeriesDetectorOptions VaeOnly = new()
    {
        WindowSize = 16, HiddenSizes = [16], LatentSize = 3, Epochs = 4, BatchSize = 32, CalibrationHistory = 200, SuppressionPoints = 0,
        RangeScore = false, SeasonalScore = false, LevelShiftPoints = 0, LevelShiftWindow = 60,
    };

    private static TimeSeriesScore[] Run(DateTime[] timestamps, double[][] rows, TimeSeriesDetectorOptions options)
    {
        using var detector = TimeSeriesDetector.Run(timestamps, rows, Training, options, out var scores);
        return scores;
    }

    [Fact]
    public void TheRangeScoreRaisesAValueJustBeyondEveryValueSeen()
    {
        var timestamps = SyntheticSeries.Timestamps(400);
        var rows = SyntheticSeries.Rows(400);
        var highest = rows.Take(300).Max(r => r[0]);
        // At the top of the sine's cycle, a little above anything before: the window's shape barely changes.
        var top = Enumerable.Range(290, 20).OrderByDescending(i => rows[i][0]).First();
        rows[top] = [highest + 3];

        var without = Run(timestamps, rows, VaeOnly);
        var with = Run(timestamps, rows, VaeOnly with { RangeScore = true });

        with[top].Score.Should().BeGreaterThan(without[top].Score + 0.05);
        with[top].RawScore.Should().Be(without[top].RawScore, "the raw score stays the VAE's");
        var quiet = with.Skip(Training).Take(100).Select(s => s.Score).Order().ToArray();
        quiet[quiet.Length / 2].Should().BeLessThan(0.05, "within the range the score stays low");
    }

    [Theory]
    [InlineData(0.4)]
    [InlineData(0.8)]
    public void TheRangeScoreIsTheExcessOverTheRangeSeenOnItsFixedScale(double scale)
    {
        var timestamps = SyntheticSeries.Timestamps(400);
        var rows = SyntheticSeries.Rows(400);
        var before = rows.Take(300);
        var (lowest, highest) = (before.Min(r => r[0]), before.Max(r => r[0]));
        var top = Enumerable.Range(290, 20).OrderByDescending(i => rows[i][0]).First();
        rows[top] = [highest + (0.1 * (highest - lowest))];
        // Everything after it stays inside the range, so no later point has an excess.
        for (var i = top + 1; i < 400; i++) rows[i] = [Math.Clamp(rows[i][0], lowest, highest)];

        var vaeAlone = Run(timestamps, rows, VaeOnly);
        var scaled = Run(timestamps, rows, VaeOnly with { RangeScore = true, RangeScale = scale });
        var calibrated = Run(timestamps, rows, VaeOnly with { RangeScore = true, RangeScale = 0 });

        vaeAlone[top].Score.Should().BeLessThan(0.1 / scale, "else the VAE's score would hide the range score");
        scaled[top].Score.Should().BeApproximately(0.1 / scale, 1e-9, "an excess of a tenth of the range, over the scale");
        calibrated[top].Score.Should().NotBeApproximately(scaled[top].Score, 0.01, "a scale of 0 calibrates the excess against its history instead");
        for (var i = top + 1; i < 400; i++) scaled[i].Score.Should().Be(vaeAlone[i].Score, $"point {i} is inside the range, so its range score is 0");
    }

    [Fact]
    public void TheLevelShiftScoreRaisesAShiftWithinTheUsualRange()
    {
        var timestamps = SyntheticSeries.Timestamps(400);
        var random = new Random(3);
        var level = Enumerable.Range(0, 400).Select(_ => new[] { 50 + random.NextDouble() - 0.5 }).ToArray();
        // From point 300 the noise moves up by 0.4 of its width of 1: most values stay within the range seen.
        var shifted = level.Select((r, i) => i >= 300 ? new[] { r[0] + 0.4 } : r).ToArray();
        var options = VaeOnly with { LevelShiftPoints = 16 };

        var without = Run(timestamps, shifted, VaeOnly);
        var with = Run(timestamps, shifted, options);
        var unshifted = Run(timestamps, level, options);

        shifted.Skip(300).Count(r => r[0] > 50.5).Should().BeLessThan(50);
        with.Skip(300).Take(40).Max(s => s.Score).Should().BeGreaterThan(without.Skip(300).Take(40).Max(s => s.Score) + 0.05);
        with.Skip(300).Take(40).Max(s => s.Score).Should().BeGreaterThan(unshifted.Skip(300).Take(40).Max(s => s.Score) + 0.05);
    }

    [Fact]
    public void TheSeasonalScoreRaisesAChangedDailyShape()
    {
        // Every 30 minutes: a day is 48 points, the sine's period.
        var timestamps = Enumerable.Range(0, 500).Select(i => SyntheticSeries.Start + TimeSpan.FromMinutes(30 * i)).ToArray();
        var rows = SyntheticSeries.Rows(500);
        // From point 400 the daily peak is cut flat, at a level the series holds every day on its way up and down.
        for (var i = 400; i < 500; i++) rows[i] = [Math.Min(rows[i][0], 55)];

        var without = Run(timestamps, rows, VaeOnly);
        var with = Run(timestamps, rows, VaeOnly with { SeasonalScore = true });

        with.Skip(400).Max(s => s.Score).Should().BeGreaterThan(without.Skip(400).Max(s => s.Score) + 0.05);
        var unchanged = Run(timestamps, SyntheticSeries.Rows(500), VaeOnly with { SeasonalScore = true });
        with.Skip(400).Max(s => s.Score).Should().BeGreaterThan(unchanged.Skip(400).Max(s => s.Score) + 0.05);
    }

    // Each line of a fixture: the raw score's and the score's bits, and whether the point is an anomaly, from point 250 on.
    private static void ShouldMatchFixture(TimeSeriesScore[] scores, string[] expected)
    {
        scores.Should().HaveCount(expected.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var parts = expected[i].Split(' ');
            var (raw, score) = (BitConverter.Int64BitsToDouble(long.Parse(parts[0])), BitConverter.Int64BitsToDouble(long.Parse(parts[1])));
            scores[i].RawScore.Should().BeApproximately(raw, 1e-5 * Math.Max(1, Math.Abs(raw)), $"the raw score of point {250 + i}");
            scores[i].Score.Should().BeApproximately(score, 1e-6, $"the score of point {250 + i}");
            scores[i].IsAnomaly.Should().Be(bool.Parse(parts[2]), $"point {250 + i}");
        }
    }

    [Fact]
    public void AFileOfFormatOneLoadsAndContinuesAsItDid()
    {
        // Written by the library before the streaming scores: trained on 120 points, then 130 observed, then saved.
        var rows = SyntheticSeries.Rows(400);
        rows[330] = [rows[330][0] + 40];

        var (detector, scores, expected) = ContinueFixture("detector-v1", rows);
        using var _ = detector;

        detector.Options.RangeScore.Should().BeFalse();
        detector.Options.SeasonalScore.Should().BeFalse();
        detector.Options.LevelShiftPoints.Should().Be(0);
        detector.Options.ShortAverage.Should().Be(1);
        // The fixture holds the bits the writing machine gave. Another instruction set (AVX-512 against AVX2) sums the
        // network's float32 vectors in another order, which moves the raw scores by about 1e-8 of their size, so they are
        // held to float32's precision (1e-5 relative), the calibrated scores to 1e-6 and the detections exactly; a file
        // read wrongly (its normalisation, calibration or window) moves them by far more.
        ShouldMatchFixture(scores, expected);
        scores.Count(s => s.IsAnomaly).Should().Be(1);

        ShouldKeepItsOptionsSavedAgain(detector, "saved again, it is a file of the current format that continues the same way");
    }

    [Fact]
    public void AFileOfFormatTwoLoadsAndContinuesAsItDid()
    {
        // Written by the library of format 2 (Fixtures/make-detector.cs): the streaming scores on, the range score
        // calibrated against its history, digits 100 and 30 for the seasonal and level-shift scores; trained on 120
        // points, then 130 observed, then saved. Points 330 (far beyond the range), 360 (a little beyond) and 370 on (a
        // level shift) follow.
        var (detector, scores, expected) = ContinueFixture("detector-v2", FormatTwoAndThreeRows());
        using var _ = detector;

        detector.Options.RangeScore.Should().BeTrue();
        detector.Options.RangeScale.Should().Be(0);
        detector.Options.SeasonalDigits.Should().Be(100);
        detector.Options.LevelShiftDigits.Should().Be(30);
        detector.Options.TailDigits.Should().Be(100, "the file's own option");
        // Held to float32's precision as the format 1 fixture is (another instruction set sums in another order).
        ShouldMatchFixture(scores, expected);
        ShouldKeepItsOptionsSavedAgain(detector, "saved again, a file of the current format keeps the older rules");
    }

    // The series of Fixtures/make-detector.cs: the synthetic rows with point 330 far beyond the range, 360 a little
    // beyond it and a level shift from 370 on.
    private static double[][] FormatTwoAndThreeRows()
    {
        var rows = SyntheticSeries.Rows(400);
        rows[330] = [rows[330][0] + 40];
        rows[360] = [rows.Take(360).Max(r => r[0]) + 2];
        for (var i = 370; i < 400; i++) rows[i] = [rows[i][0] + 3];
        return rows;
    }

    // A fixture detector (Fixtures/NAME.vae, saved after point 249) observes points 250 on; NAME-scores.txt holds what it gave then.
    private static (TimeSeriesDetector Detector, TimeSeriesScore[] Scores, string[] Expected) ContinueFixture(string name, double[][] rows)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        var detector = TimeSeriesDetector.Load(Path.Combine(directory, name + ".vae"));
        var scores = detector.ObserveMany(SyntheticSeries.Timestamps(rows.Length)[250..], rows[250..]);
        return (detector, scores, File.ReadAllLines(Path.Combine(directory, name + "-scores.txt")));
    }

    private static void ShouldKeepItsOptionsSavedAgain(TimeSeriesDetector detector, string because)
    {
        using var file = new MemoryStream();
        detector.Save(file);
        file.Position = 0;
        using var restored = TimeSeriesDetector.Load(file);
        restored.Options.Should().BeEquivalentTo(detector.Options, because);
    }

    [Fact]
    public void TheVaesScoreCountsOnlyWhenItReachesTheGatesShareOfTheHighestRawScoreSeen()
    {
        var timestamps = SyntheticSeries.Timestamps(400);
        var rows = SyntheticSeries.Rows(400);
        const int spike = 250;
        rows[spike] = [rows[spike][0] + 40];
        var options = VaeOnly with { ShortAverage = 1 };

        var always = Run(timestamps, rows, options with { VaeScoreGate = 0 });
        var gated = Run(timestamps, rows, options with { VaeScoreGate = 0.5 });

        gated.Select(s => s.RawScore).Should().Equal(always.Select(s => s.RawScore), "the gate changes no raw score");
        for (var i = Training; i < rows.Length; i++)
            gated[i].Score.Should().BeOneOf([always[i].Score, 0.0], $"point {i} keeps its score or loses it");
        gated[spike].Score.Should().Be(always[spike].Score).And.BeGreaterThan(0.2, "the highest raw score so far passes the gate");
        // For the 200 points of history after it, nothing reaches half the spike's raw score.
        var after = Enumerable.Range(spike + 1, 140).ToArray();
        after.Should().OnlyContain(i => gated[i].Score == 0 && always[i].RawScore < 0.5 * always[spike].RawScore);
        after.Should().Contain(i => always[i].Score > 0, "without the gate those points score");
    }

    [Fact]
    public void TheCalibrationsHighestScoreFollowsItsRingThroughEvictionsRestoresAndClears()
    {
        var calibration = new StreamCalibration(50, 0.1, 100);
        var random = new Random(5);
        calibration.Maximum.Should().Be(double.NegativeInfinity);
        for (var i = 0; i < 1000; i++)
        {
            // Now and then a large value, so that the highest one leaves the ring while others remain.
            calibration.Calibrate(random.NextDouble() < 0.03 ? 10 + random.NextDouble() : random.NextDouble());
            calibration.Maximum.Should().Be(calibration.History.Take(calibration.Count).Max(), $"after value {i}");
            if (i == 500)
            {
                var copy = new StreamCalibration(50, 0.1, 100);
                copy.Restore(calibration.Saved()).Should().BeTrue();
                copy.Maximum.Should().Be(calibration.Maximum);
            }
        }
        calibration.Clear();
        calibration.Maximum.Should().Be(double.NegativeInfinity);
    }

    [Fact]
    public void AFileOfFormatThreeLoadsAndContinuesAsItDid()
    {
        // Written by the library of format 3 (Fixtures/make-detector.cs), before VaeScoreGate: the VAE's score
        // counted at every point; the same series and steps as the format 2 file.
        var (detector, scores, expected) = ContinueFixture("detector-v3", FormatTwoAndThreeRows());
        using var _ = detector;

        detector.Options.VaeScoreGate.Should().Be(0, "format 3 had no gate");
        detector.Options.RangeScale.Should().Be(0.4);
        ShouldMatchFixture(scores, expected);
        ShouldKeepItsOptionsSavedAgain(detector, "saved again, a file of the current format keeps the older rules");
    }

    [Theory]
    [InlineData(nameof(TimeSeriesDetectorOptions.RangeScale), -0.1)]
    [InlineData(nameof(TimeSeriesDetectorOptions.RangeScale), double.PositiveInfinity)]
    [InlineData(nameof(TimeSeriesDetectorOptions.SeasonalDigits), 0)]
    [InlineData(nameof(TimeSeriesDetectorOptions.LevelShiftDigits), double.NaN)]
    [InlineData(nameof(TimeSeriesDetectorOptions.VaeScoreGate), -0.1)]
    [InlineData(nameof(TimeSeriesDetectorOptions.VaeScoreGate), 1.5)]
    [InlineData(nameof(TimeSeriesDetectorOptions.VaeScoreGate), double.NaN)]
    public void AnOutOfRangeScaleOrDigitsIsAnErrorNamingIt(string option, double value)
    {
        var options = option switch
        {
            nameof(TimeSeriesDetectorOptions.RangeScale) => new TimeSeriesDetectorOptions { RangeScale = value },
            nameof(TimeSeriesDetectorOptions.SeasonalDigits) => new TimeSeriesDetectorOptions { SeasonalDigits = value },
            nameof(TimeSeriesDetectorOptions.VaeScoreGate) => new TimeSeriesDetectorOptions { VaeScoreGate = value },
            _ => new TimeSeriesDetectorOptions { LevelShiftDigits = value },
        };

        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage($"{option} must be*but was*").Which.ParamName.Should().Be(option);
    }
}
