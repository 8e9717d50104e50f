using System.Globalization;
using Vae.Core.TimeSeries;

namespace Vae.Core.Tests.TimeSeries;

/// <summary>
/// The scorer against numenta/NAB's own figures: on the 51 series of samples/data/nab, NAB's published result files of
/// four detectors must get the normalised scores NAB's scorer gives them.
/// </summary>
public sealed class NabVerificationTests
{
    public static TheoryData<string, string> DetectorsAndProfiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var detector in NabFixtures.Detectors)
        {
            foreach (var profile in NabProfile.All) data.Add(detector, profile.Name);
        }
        return data;
    }

    [Theory]
    // The standard-profile figures NAB's scorer gives on these 51 series (samples/data/nab/README.md).
    [InlineData("ARTime", 77.04)]
    [InlineData("numenta", 72.97)]
    [InlineData("windowedGaussian", 44.80)]
    [InlineData("random", 17.59)]
    [InlineData("null", 0.0)]
    public void StandardProfileScoresMatchNABsFiguresOnThe51Series(string detector, double expected)
    {
        var report = NabScorer.Score(NabFixtures.Corpus, NabFixtures.ResultsOf(detector), NabProfile.Standard);

        Math.Round(report.NormalizedScore, 2).Should().Be(expected);
    }

    [Theory]
    [MemberData(nameof(DetectorsAndProfiles))]
    public void EveryProfileMatchesNABsOwnSweeper(string detector, string profileName)
    {
        var reference = NabFixtures.ReferenceOf(detector, profileName);

        var report = NabScorer.Score(NabFixtures.Corpus, NabFixtures.ResultsOf(detector), NabFixtures.Profile(profileName));

        report.Threshold.Should().Be(reference.GetProperty("threshold").GetDouble());
        report.RawScore.Should().BeApproximately(reference.GetProperty("score").GetDouble(), 1e-9);
        report.NormalizedScore.Should().BeApproximately(reference.GetProperty("normalized").GetDouble(), 1e-9);
        var files = reference.GetProperty("files");
        report.Files.Should().HaveCount(51);
        foreach (var file in report.Files)
        {
            file.Score.Should().BeApproximately(files.GetProperty(file.RelativePath).GetDouble(), 1e-9, file.RelativePath);
        }
    }

    [Fact]
    public void TheNullBaselineIsTheMissedWindowPenaltyOfEveryScoredWindow()
    {
        // Every window of these series lies after its probationary period, and detecting nothing is the null
        // detector's best: -A_FN per window.
        NabFixtures.Corpus.WindowCount.Should().Be(97);
        NabScorer.GetNullScore(NabFixtures.Corpus, NabProfile.Standard).Should().Be(-97);
        NabScorer.GetNullScore(NabFixtures.Corpus, NabProfile.RewardLowFalseNegativeRate).Should().Be(-194);
    }

    // numenta/NAB config/thresholds.json: the thresholds NAB optimised on all 58 series, at which it wrote the
    // per-file tables results/<detector>/<detector>_<profile>_scores.csv. The random detector's tables are left out:
    // they list only 32 of the 58 files and predate its result files (September and October 2015); NAB's own
    // sweeper disagrees with them on art_daily_flatmiddle just as this scorer does. EveryProfileMatchesNABsOwnSweeper
    // covers that detector.
    [Theory]
    [InlineData("numenta", "standard", 0.5421876907348634)]
    [InlineData("numenta", "reward_low_FP_rate", 0.5751955032348636)]
    [InlineData("numenta", "reward_low_FN_rate", 0.5421876907348634)]
    [InlineData("windowedGaussian", "standard", 1.0)]
    [InlineData("windowedGaussian", "reward_low_FP_rate", 1.0)]
    [InlineData("windowedGaussian", "reward_low_FN_rate", 1.0)]
    [InlineData("null", "standard", 0.6250000000000001)]
    [InlineData("null", "reward_low_FP_rate", 0.6250000000000001)]
    [InlineData("null", "reward_low_FN_rate", 0.6250000000000001)]
    [InlineData("ARTime", "standard", 0.317486)]
    [InlineData("ARTime", "reward_low_FP_rate", 0.317585)]
    [InlineData("ARTime", "reward_low_FN_rate", 0.317486)]
    public void PerFileScoresAtNABsThresholdsMatchItsPublishedTables(string detector, string profileName, double threshold)
    {
        var published = File.ReadLines(NabFixtures.PathOf($"{detector}_{profileName}_scores.csv")).Skip(1)
            .Select(line => line.Split(','))
            .ToDictionary(f => f[2], f => double.Parse(f[4], CultureInfo.InvariantCulture));
        published.Should().HaveCount(51);

        var report = NabScorer.Score(NabFixtures.Corpus, NabFixtures.ResultsOf(detector), NabFixtures.Profile(profileName), threshold, nullScore: 0);

        foreach (var file in report.Files)
        {
            // The tables print 12 significant digits.
            file.Score.Should().BeApproximately(published[file.RelativePath], 1e-9 + 1e-11 * Math.Abs(published[file.RelativePath]), file.RelativePath);
        }
    }
}
