using Vae.Core.TimeSeries;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.TimeSeries;

public sealed class NabCorpusAndResultsTests
{
    [Fact]
    public void TheSampleCorpusHasThe51SeriesAnd97Windows()
    {
        var corpus = NabCorpus.Load(NabFixtures.DataFolder);

        corpus.Series.Should().HaveCount(51);
        corpus.WindowCount.Should().Be(97);
        var aapl = corpus["realTweets/Twitter_volume_AAPL.csv"];
        aapl.Timestamps[0].Should().Be(new DateTime(2015, 2, 26, 21, 42, 53));
        aapl.Values[0].Should().Be(104);
        aapl.Windows.Should().HaveCount(4);
        corpus["artificialNoAnomaly/art_flatline.csv"].Windows.Should().BeEmpty();
    }

    [Fact]
    public void ResultPathsFollowNABsLayout()
    {
        NabResults.GetResultPath("numenta", "realTweets/Twitter_volume_AAPL.csv").Should().Be("numenta/realTweets/numenta_Twitter_volume_AAPL.csv");
    }

    [Fact]
    public void ResultFilesRoundTripThroughTheWriterAndReader()
    {
        using var temporary = new TempFolder();
        var folder = temporary.Path;
        var timestamps = new[] { new DateTime(2014, 4, 1), new DateTime(2014, 4, 1, 0, 5, 0) };
        var results = new Dictionary<string, NabResultSeries>
        {
            ["realTraffic/speed_7578.csv"] = new(timestamps, [1.5, -2.25], [0.1 + 0.2, 1.0], [0, 1]),
            ["realTweets/x.csv"] = new(timestamps, [3, 4], [0.0, 0.5]),
        };

        NabResults.WriteDetector(folder, "mine", results);

        var file = Path.Combine(folder, "mine", "realTraffic", "mine_speed_7578.csv");
        File.ReadAllLines(file).Should().Equal(
            "timestamp,value,anomaly_score,label",
            "2014-04-01 00:00:00,1.5,0.30000000000000004,0",
            "2014-04-01 00:05:00,-2.25,1,1");
        var back = NabResults.Read(file);
        back.Timestamps.Should().Equal(timestamps);
        back.AnomalyScores.Should().Equal(0.1 + 0.2, 1.0);
        back.Labels.Should().Equal(0, 1);
        NabResults.Read(Path.Combine(folder, "mine", "realTweets", "mine_x.csv")).Labels.Should().BeNull();
    }

    [Fact]
    public void NABsOwnResultFilesAreReadWithTheirExtraColumnsIgnored()
    {
        using var reader = new StringReader(
            "timestamp,value,anomaly_score,raw_score,label,S(t)_reward_low_FP_rate,S(t)_reward_low_FN_rate,S(t)_standard\n" +
            "2015-02-26 21:42:53,104,0.0301029996659,1.0,0,0.0,0.0,0.0\n");

        var result = NabResults.Read(reader);

        result.Count.Should().Be(1);
        result.AnomalyScores[0].Should().Be(0.0301029996659);
        result.Labels.Should().Equal(0);
    }

    [Fact]
    public void ResultsWhoseRowsDoNotMatchTheSeriesAreRejected()
    {
        var corpus = NabFixtures.Corpus;
        var results = NabFixtures.ResultsOf("null").ToDictionary(r => r.Key, r => r.Value);
        var first = corpus.Series[0];
        results[first.RelativePath] = new NabResultSeries(first.Timestamps.Skip(1).ToArray(), first.Values.Skip(1).ToArray(), new double[first.Count - 1]);

        var act = () => NabScorer.Score(corpus, results, NabProfile.Standard);

        act.Should().Throw<ArgumentException>().WithMessage($"*{first.RelativePath}*");
    }
}
