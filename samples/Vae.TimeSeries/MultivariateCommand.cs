using Spectre.Console.Cli;
using Vae.Core.TimeSeries;
using Vae.Samples;

namespace Vae.TimeSeries;

/// <summary>
/// One detector on all four generated metrics against one detector per metric (a point's score the highest of its
/// metrics'), on the same rows with the same settings: ROC AUC of the points' scores against the labelled points,
/// and the anomalies with a detection inside them against the false detections, at the detectors' threshold.
/// </summary>
internal sealed class MultivariateCommand : Command<MultivariateSettings>
{
    public const string DataFile = "multivariate.csv";

    public override int Execute(CommandContext context, MultivariateSettings settings, CancellationToken cancellationToken)
    {
        var data = CorrelatedMetrics.Generate(settings.Rows, settings.Events, seed: settings.DataSeed);
        Directory.CreateDirectory(settings.Output);
        data.Write(Path.Combine(settings.Output, DataFile));
        var training = (int)(settings.TrainFraction * settings.Rows);
        // A short window, a small code and a light KL term unless given: the relation between the metrics at each
        // instant is what the code must keep (the same settings for both sides of the comparison).
        var options = settings.DetectorOptions(TimeSeriesTimestamps.Regular) with
        {
            WindowSize = settings.Window ?? MultivariateSettings.DefaultWindow,
            LatentSize = settings.Latent ?? MultivariateSettings.DefaultLatent,
            Beta = settings.Beta ?? MultivariateSettings.DefaultBeta,
            // The VAEs' scores alone, point by point: the comparison is between the joint model and the per-metric ones,
            // not the per-column streaming scores.
            ShortAverage = settings.Short ?? 1,
            RangeScore = false,
            SeasonalScore = false,
            LevelShiftPoints = 0,
        };

        var watch = System.Diagnostics.Stopwatch.StartNew();
        TimeSeriesScore[] joint;
        using (TimeSeriesDetector.Run(data.Timestamps, data.Rows, training, options, out joint)) { }
        var jointSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var perColumn = new TimeSeriesScore[CorrelatedMetrics.Columns][];
        for (var c = 0; c < CorrelatedMetrics.Columns; c++)
        {
            using (TimeSeriesDetector.Run(data.Timestamps, data.Rows.Select(r => new[] { r[c] }).ToArray(), training, options, out perColumn[c])) { }
        }
        var separateSeconds = watch.Elapsed.TotalSeconds;
        var combined = Enumerable.Range(0, data.Rows.Length).Select(t => perColumn.Max(p => p[t].Score)).ToArray();
        var combinedAnomaly = Enumerable.Range(0, data.Rows.Length).Select(t => perColumn.Any(p => p[t].IsAnomaly)).ToArray();

        var multivariate = Summary(data, training, joint.Select(s => s.Score).ToArray(), joint.Select(s => s.IsAnomaly).ToArray(), jointSeconds);
        var univariate = Summary(data, training, combined, combinedAnomaly, separateSeconds);
        var figures = new { window = options.WindowSize, latent = options.LatentSize, beta = options.Beta, rows = settings.Rows, trainingRows = training, events = data.Events.Length, eventLength = CorrelatedMetrics.EventLength, multivariate, univariatePerColumn = univariate, data = Path.GetFullPath(Path.Combine(settings.Output, DataFile)) };
        if (settings.Json)
        {
            Console.WriteLine(JsonLine.Serialize(figures));
            return 0;
        }
        Console.WriteLine($"{settings.Rows} rows x {CorrelatedMetrics.Columns} metrics, {data.Events.Length} decoupling anomalies of {CorrelatedMetrics.EventLength} points, trained on the first {training} (window {options.WindowSize}, latent {options.LatentSize}, beta {options.Beta})");
        Console.WriteLine($"  one detector on all metrics : ROC AUC {multivariate.RocAuc:F3}, {multivariate.DetectedEvents}/{data.Events.Length} anomalies detected, {multivariate.FalseDetections} false detections ({multivariate.Seconds:F1} s)");
        Console.WriteLine($"  one detector per metric     : ROC AUC {univariate.RocAuc:F3}, {univariate.DetectedEvents}/{data.Events.Length} anomalies detected, {univariate.FalseDetections} false detections ({univariate.Seconds:F1} s)");
        Console.WriteLine($"wrote {Path.GetFullPath(Path.Combine(settings.Output, DataFile))}");
        return 0;
    }

    public sealed record Result(double RocAuc, int DetectedEvents, int FalseDetections, double Seconds);

    private static Result Summary(CorrelatedMetrics data, int training, double[] scores, bool[] anomalies, double seconds)
    {
        var scored = Enumerable.Range(training, data.Rows.Length - training).ToArray();
        var detected = data.Events.Count(e => Enumerable.Range(e.Start, CorrelatedMetrics.EventLength).Any(t => anomalies[t]));
        var falseDetections = scored.Count(t => anomalies[t] && !data.Labels[t]);
        return new Result(Math.Round(RocAuc(scored.Select(t => scores[t]).ToArray(), scored.Select(t => data.Labels[t]).ToArray()), 4), detected, falseDetections, Math.Round(seconds, 2));
    }

    /// <summary>The probability that a labelled point outscores an unlabelled one, ties counting half (Mann-Whitney).</summary>
    public static double RocAuc(double[] scores, bool[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        var positives = labels.Count(l => l);
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j < order.Length && scores[order[j]] == scores[order[i]]) j++;
            var rank = (i + j + 1) / 2.0;
            for (var k = i; k < j; k++) if (labels[order[k]]) rankSum += rank;
            i = j;
        }
        var negatives = scores.Length - positives;
        return (rankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }
}
