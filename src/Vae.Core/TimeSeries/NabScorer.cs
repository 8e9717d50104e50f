namespace Vae.Core.TimeSeries;

/// <summary>
/// The Numenta Anomaly Benchmark's scoring, as numenta/NAB's nab/sweeper.py, nab/optimizer.py, nab/scorer.py and
/// nab/runner.py compute it: each row gets a weighted score (a scaled sigmoid of its position in or after an anomaly
/// window); a window counts its best detected row (the earliest) or, with none, the missed-window penalty; false
/// positives add up; the rows of the probationary period are not scored; the threshold is the one that maximises the
/// total over the whole corpus; the total is normalised between the null detector (0) and a perfect one (100).
/// </summary>
public static class NabScorer
{
    /// <summary>The share of each series' rows, from its start, that NAB does not score.</summary>
    /// <value>0.15, NAB's probationary percent.</value>
    public const double ProbationaryPercent = 0.15;

    /// <summary>The threshold above every anomaly score where NAB's threshold sweep starts: no row is a detection.</summary>
    /// <value>1.1.</value>
    public const double NoDetectionThreshold = 1.1;

    /// <summary>The anomaly score NAB's null detector gives every row.</summary>
    /// <value>0.5.</value>
    public const double NullDetectorScore = 0.5;

    private const int NoWindow = -1;

    /// <summary>NAB's scaled sigmoid of a row's relative position to a window.</summary>
    /// <param name="relativePosition">
    /// -1 at the window's left edge, near 0 at its right edge, positive after it (in window widths past its end).
    /// </param>
    /// <returns>2 * sigmoid(-5 * position) - 1, and -1 beyond position 3: 0.98661 at -1, 0 at 0, -0.98661 at 1.</returns>
    public static double ScaledSigmoid(double relativePosition) =>
        relativePosition > 3.0 ? -1.0 : (2 * Sigmoid(-5 * relativePosition)) - 1.0;

    /// <summary>The number of leading rows of a series in NAB's probationary period.</summary>
    /// <param name="rowCount">The series' number of rows.</param>
    /// <returns>min(floor(0.15 * rowCount), 0.15 * 5000).</returns>
    public static int GetProbationaryLength(int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        return (int)Math.Min(Math.Floor(ProbationaryPercent * rowCount), ProbationaryPercent * 5000);
    }

    /// <summary>
    /// The weighted score of every row of a series, NAB's <c>S(t)</c> column: inside a window the scaled sigmoid of the
    /// row's position times A_TP / sigmoid-at-left-edge; outside, the scaled sigmoid of the distance past the preceding
    /// window's end (in that window's width minus one), or -1 with no preceding window, times A_FP.
    /// </summary>
    /// <param name="series">The series and its windows.</param>
    /// <param name="profile">The weights.</param>
    /// <returns>One score per row, the probationary rows included.</returns>
    public static double[] GetRowScores(NabSeries series, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(profile);
        var scores = new double[series.Count];
        Sweep(series, profile, (row, score, _) => scores[row] = score);
        return scores;
    }

    /// <summary>Scores one series at a given threshold.</summary>
    /// <param name="series">The series and its windows.</param>
    /// <param name="anomalyScores">The detector's anomaly score of every row of the series.</param>
    /// <param name="profile">The weights.</param>
    /// <param name="threshold">A row is a detection when its anomaly score is at least this.</param>
    /// <returns>The file's score and counts.</returns>
    public static NabFileScore ScoreSeries(NabSeries series, IReadOnlyList<double> anomalyScores, NabProfile profile, double threshold)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(anomalyScores);
        ArgumentNullException.ThrowIfNull(profile);
        var points = GetScorablePoints(series, anomalyScores, profile, 0, out _);
        var sweep = ScoresByThreshold(points, profile);
        var row = FindRow(sweep, threshold);
        return new NabFileScore(series.RelativePath, threshold, row.Score, row.TruePositives, row.TrueNegatives, row.FalsePositives, row.FalseNegatives);
    }

    /// <summary>
    /// NAB's threshold optimisation: the threshold, among 1.1 and the distinct anomaly scores of the corpus' scored
    /// rows, that gives the highest total score over the whole corpus (the highest such threshold on a tie).
    /// </summary>
    /// <param name="corpus">The series and their windows.</param>
    /// <param name="anomalyScores">The detector's anomaly scores, keyed by the series' relative path.</param>
    /// <param name="profile">The weights.</param>
    /// <returns>The threshold.</returns>
    public static double OptimizeThreshold(NabCorpus corpus, IReadOnlyDictionary<string, IReadOnlyList<double>> anomalyScores, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(anomalyScores);
        ArgumentNullException.ThrowIfNull(profile);
        var points = new List<Point>();
        var windowOffset = 0;
        foreach (var series in corpus.Series)
        {
            points.AddRange(GetScorablePoints(series, ScoresOf(anomalyScores, series), profile, windowOffset, out _));
            windowOffset += series.Windows.Count;
        }

        var best = default(ThresholdScore);
        var first = true;
        foreach (var row in ScoresByThreshold(points, profile))
        {
            if (first || row.Score > best.Score)
            {
                best = row;
                first = false;
            }
        }

        return best.Threshold;
    }

    /// <summary>The raw total of NAB's null detector (anomaly score 0.5 on every row) at its optimised threshold, the normalisation's baseline.</summary>
    /// <param name="corpus">The series and their windows.</param>
    /// <param name="profile">The weights.</param>
    /// <returns>The raw total; minus A_FN times the number of scored windows when detecting nothing is best.</returns>
    public static double GetNullScore(NabCorpus corpus, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var scores = corpus.Series.ToDictionary(
            s => s.RelativePath, s => (IReadOnlyList<double>)Enumerable.Repeat(NullDetectorScore, s.Count).ToArray(), StringComparer.Ordinal);
        return Score(corpus, scores, profile, nullScore: 0).RawScore;
    }

    /// <summary>Scores a detector's results on a corpus, as NAB's optimise, score and normalise steps do.</summary>
    /// <param name="corpus">The series and their windows.</param>
    /// <param name="results">The detector's result of every series, keyed by the series' relative path; its rows must match the series' timestamps.</param>
    /// <param name="profile">The weights.</param>
    /// <param name="threshold">The threshold to score at, or null for the one <see cref="OptimizeThreshold"/> finds.</param>
    /// <param name="nullScore">The normalisation's baseline, or null for <see cref="GetNullScore"/>.</param>
    /// <returns>The per-file, total and normalised scores.</returns>
    public static NabScoreReport Score(NabCorpus corpus, IReadOnlyDictionary<string, NabResultSeries> results, NabProfile profile,
        double? threshold = null, double? nullScore = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(results);
        var scores = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        foreach (var series in corpus.Series)
        {
            if (!results.TryGetValue(series.RelativePath, out var result))
            {
                throw new ArgumentException($"No result for {series.RelativePath}.", nameof(results));
            }

            if (result.Count != series.Count || !result.Timestamps.SequenceEqual(series.Timestamps))
            {
                throw new ArgumentException($"The result for {series.RelativePath} does not have the series' timestamps.", nameof(results));
            }

            scores.Add(series.RelativePath, result.AnomalyScores);
        }

        return Score(corpus, scores, profile, threshold, nullScore);
    }

    /// <summary>Scores a detector's anomaly scores on a corpus, as NAB's optimise, score and normalise steps do.</summary>
    /// <param name="corpus">The series and their windows.</param>
    /// <param name="anomalyScores">The detector's anomaly score of every row of every series, keyed by the series' relative path.</param>
    /// <param name="profile">The weights.</param>
    /// <param name="threshold">The threshold to score at, or null for the one <see cref="OptimizeThreshold"/> finds.</param>
    /// <param name="nullScore">The normalisation's baseline, or null for <see cref="GetNullScore"/>.</param>
    /// <returns>The per-file, total and normalised scores.</returns>
    public static NabScoreReport Score(NabCorpus corpus, IReadOnlyDictionary<string, IReadOnlyList<double>> anomalyScores, NabProfile profile,
        double? threshold = null, double? nullScore = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(anomalyScores);
        ArgumentNullException.ThrowIfNull(profile);
        var t = threshold ?? OptimizeThreshold(corpus, anomalyScores, profile);
        var files = corpus.Series.Select(s => ScoreSeries(s, ScoresOf(anomalyScores, s), profile, t)).ToArray();
        return new NabScoreReport(profile, t, files, nullScore ?? GetNullScore(corpus, profile), corpus.WindowCount * profile.TruePositiveWeight);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static IReadOnlyList<double> ScoresOf(IReadOnlyDictionary<string, IReadOnlyList<double>> anomalyScores, NabSeries series)
    {
        if (!anomalyScores.TryGetValue(series.RelativePath, out var scores))
        {
            throw new ArgumentException($"No anomaly scores for {series.RelativePath}.", nameof(anomalyScores));
        }

        return scores.Count == series.Count
            ? scores
            : throw new ArgumentException($"{scores.Count} anomaly scores for the {series.Count} rows of {series.RelativePath}.", nameof(anomalyScores));
    }

    /// <summary>Walks the rows as nab/sweeper.py's calcSweepScore does, giving each row's weighted score and window (or <see cref="NoWindow"/>).</summary>
    private static void Sweep(NabSeries series, NabProfile profile, Action<int, double, int> visit)
    {
        var timestamps = series.Timestamps;
        var maxTruePositive = ScaledSigmoid(-1.0);
        var nextWindow = 0;
        var inWindow = NoWindow;
        var windowRight = 0;
        var windowWidth = 0.0;
        int? previousRight = null;
        var previousWidth = 0.0;
        for (var i = 0; i < timestamps.Count; i++)
        {
            var time = timestamps[i];
            if (nextWindow < series.Windows.Count && time == series.Windows[nextWindow].Start)
            {
                inWindow = nextWindow;
                windowRight = IndexOf(timestamps, series.Windows[nextWindow].End);
                windowWidth = windowRight - IndexOf(timestamps, series.Windows[nextWindow].Start) + 1;
                nextWindow++;
            }

            double score;
            if (inWindow != NoWindow)
            {
                var position = -(windowRight - i + 1) / windowWidth;
                score = ScaledSigmoid(position) * profile.TruePositiveWeight / maxTruePositive;
            }
            else
            {
                var unweighted = previousRight is { } right ? ScaledSigmoid(Math.Abs(right - i) / (previousWidth - 1)) : -1.0;
                score = unweighted * profile.FalsePositiveWeight;
            }

            visit(i, score, inWindow);
            if (inWindow != NoWindow && time == series.Windows[inWindow].End)
            {
                previousRight = i;
                previousWidth = windowWidth;
                inWindow = NoWindow;
            }
        }
    }

    private static int IndexOf(IReadOnlyList<DateTime> timestamps, DateTime time)
    {
        for (var i = 0; i < timestamps.Count; i++)
        {
            if (timestamps[i] == time)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"No row at {time:O}.");
    }

    /// <summary>The rows after the probationary period, with their anomaly score, weighted score and corpus-wide window index.</summary>
    private static List<Point> GetScorablePoints(NabSeries series, IReadOnlyList<double> anomalyScores, NabProfile profile, int windowOffset, out int count)
    {
        var probationary = GetProbationaryLength(series.Count);
        var points = new List<Point>(Math.Max(0, series.Count - probationary));
        Sweep(series, profile, (row, score, window) =>
        {
            if (row >= probationary)
            {
                points.Add(new Point(anomalyScores[row], score, window == NoWindow ? NoWindow : window + windowOffset));
            }
        });
        count = points.Count;
        return points;
    }

    /// <summary>
    /// nab/sweeper.py's calcScoreByThreshold: the rows from the highest anomaly score down (ties in row order); at each
    /// new anomaly score, the total so far (false positives, then each window's best reward or its penalty, in order of
    /// first appearance) is the score of the previous threshold. The first entry is for 1.1, no detections.
    /// </summary>
    private static List<ThresholdScore> ScoresByThreshold(List<Point> points, NabProfile profile)
    {
        var sorted = points.OrderByDescending(p => p.AnomalyScore).ToArray();
        var windowParts = new Dictionary<int, int>();
        var parts = new List<double>();
        foreach (var p in sorted)
        {
            if (p.Window != NoWindow && windowParts.TryAdd(p.Window, parts.Count))
            {
                parts.Add(-profile.FalseNegativeWeight);
            }
        }

        var trueNegatives = sorted.Count(p => p.Window == NoWindow);
        var falseNegatives = sorted.Length - trueNegatives;
        var truePositives = 0;
        var falsePositives = 0;
        var falsePositiveScore = 0.0;
        var threshold = NoDetectionThreshold;
        var result = new List<ThresholdScore>();

        double Total()
        {
            var total = falsePositiveScore;
            foreach (var part in parts)
            {
                total += part;
            }

            return total;
        }

        foreach (var p in sorted)
        {
            if (p.AnomalyScore != threshold)
            {
                result.Add(new ThresholdScore(threshold, Total(), truePositives, trueNegatives, falsePositives, falseNegatives));
                threshold = p.AnomalyScore;
            }

            if (p.Window == NoWindow)
            {
                falsePositives++;
                trueNegatives--;
                falsePositiveScore += p.SweepScore;
            }
            else
            {
                truePositives++;
                falseNegatives--;
                var index = windowParts[p.Window];
                parts[index] = Math.Max(parts[index], p.SweepScore);
            }
        }

        result.Add(new ThresholdScore(threshold, Total(), truePositives, trueNegatives, falsePositives, falseNegatives));
        return result;
    }

    /// <summary>
    /// nab/sweeper.py's scoreDataSet lookup: the entry for the threshold itself, else the last one above it (the
    /// detections at or above the threshold); below every anomaly score, the last entry (every row detected).
    /// </summary>
    private static ThresholdScore FindRow(List<ThresholdScore> rows, double threshold)
    {
        var previous = rows[0];
        foreach (var row in rows)
        {
            if (row.Threshold == threshold)
            {
                return row;
            }

            if (row.Threshold < threshold)
            {
                return previous;
            }

            previous = row;
        }

        return previous;
    }

    private readonly record struct Point(double AnomalyScore, double SweepScore, int Window);

    private readonly record struct ThresholdScore(double Threshold, double Score, int TruePositives, int TrueNegatives, int FalsePositives, int FalseNegatives);
}
