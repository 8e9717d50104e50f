using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.TimeSeries;

/// <summary>
/// A streaming anomaly detector for one or many value columns over time, after Donut (Xu et al., WWW 2018): the
/// values are normalised with the training part's mean and standard deviation, a VAE with a Gaussian likelihood
/// (learnt variance per window position) is trained on the training part's sliding windows with missing points
/// injected, and each new point is scored by the negative log-likelihood of its values under the reconstruction of
/// the window it ends; missing points in the window are filled and imputed from the reconstruction first.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Train"/> learns from the first rows of a series and leaves the detector positioned after them;
/// <see cref="Observe(DateTime, ReadOnlySpan{double})"/> then scores one point at a time from the rows before it only,
/// with work proportional to the window (one encoder pass and the decoder's newest outputs, plus the imputation rounds
/// when the window holds missing points), and keeps only the window and the calibration history. A regular series'
/// gaps are filled as missing points; an irregular series is an error unless <see cref="TimeSeriesTimestamps.Sequential"/>.
/// </para>
/// <para>
/// The calibrated score compares the mean of the last <see cref="TimeSeriesDetectorOptions.ShortAverage"/> raw scores
/// with the mean and standard deviation (at least 0.1 nats) of the previous
/// <see cref="TimeSeriesDetectorOptions.CalibrationHistory"/> raw scores (the training part's, then the stream's):
/// the z-score's Gaussian upper tail probability p gives min(1, -log10(p) / <see cref="TimeSeriesDetectorOptions.TailDigits"/>).
/// </para>
/// <para>
/// <see cref="Save(string)"/> writes a Vae model file with the detector (options, normalisation, interval) and its
/// stream state as an attachment, so a restored detector continues bit for bit. Scoring is deterministic: the code is
/// the posterior mean, and training is seeded. A detector is not thread-safe: observe from one thread at a time.
/// </para>
/// </remarks>
public sealed class TimeSeriesDetector : IDisposable
{
    /// <summary>The name of the model file's attachment that holds the detector and its stream state.</summary>
    public const string AttachmentName = "vae.timeseries";

    private const int FileFormat = 4;
    private const int MaximumPeriod = 2016;
    private const double MinimumDeviation = 0.1;
    private static readonly double LogTwoPi = Math.Log(2 * Math.PI);
    // The weights' initialisation draws from libtorch's global generator: seeding and building must not interleave
    // with another thread's.
    private static readonly object InitialisationLock = new();

    private readonly VariationalAutoencoder model;
    private double BelowThreshold => Math.Max(0, Options.Threshold - 1e-9);
    private WindowNetwork network;
    private readonly double[] means;
    private readonly double[] deviations;
    private readonly long intervalTicks;
    private readonly int columns;
    private readonly int period;
    private readonly StreamScores streams;
    private readonly double[] normalised;
    private readonly int windowSize;
    private readonly float[] window;
    private readonly bool[] missing;
    private readonly float[] scratch;
    private readonly float[] reconstruction;
    private readonly float[] newest;
    private readonly StreamCalibration calibration;
    private readonly double[] recent;
    private float[] inverseVariance;
    private readonly float[] recentPoints;
    private readonly bool[] recentMissing;
    private int recentPointCount;
    private int recentPointNext;
    private int sinceRetrain;
    private int retrainings;
    private long lastTicks;
    private int suppressed;
    private long observed;
    private int recentCount;
    private int recentNext;

    private TimeSeriesDetector(VariationalAutoencoder model, TimeSeriesDetectorOptions options, int columns, double[] means, double[] deviations, long intervalTicks, int period)
    {
        this.period = period;
        streams = new StreamScores(options, columns, period);
        normalised = new double[columns];
        this.model = model;
        Options = options;
        this.columns = columns;
        this.means = means;
        this.deviations = deviations;
        this.intervalTicks = intervalTicks;
        windowSize = options.WindowSize;
        network = new WindowNetwork(model);
        window = new float[windowSize * columns];
        missing = new bool[windowSize * columns];
        scratch = new float[windowSize * columns];
        reconstruction = new float[windowSize * columns];
        newest = new float[columns];
        calibration = new StreamCalibration(options.CalibrationHistory, MinimumDeviation, options.TailDigits);
        recent = new double[options.ShortAverage];
        inverseVariance = network.LogVariance.Select(v => (float)Math.Exp(-v)).ToArray();
        var kept = options.RetrainEvery > 0 ? options.RetrainPoints * columns : 0;
        recentPoints = new float[kept];
        recentMissing = new bool[kept];
    }

    /// <summary>The settings the detector was trained with.</summary>
    /// <value>As given to <see cref="Train"/>, or as saved.</value>
    public TimeSeriesDetectorOptions Options { get; }

    /// <summary>The number of value columns of each point.</summary>
    /// <value>At least 1.</value>
    public int Columns => columns;

    /// <summary>The calibrated score at or above which a point is an anomaly.</summary>
    /// <value><see cref="TimeSeriesDetectorOptions.Threshold"/>.</value>
    public double Threshold => Options.Threshold;

    /// <summary>The series' interval, learnt from the training part.</summary>
    /// <value>The most frequent step between the training part's timestamps; <see cref="TimeSpan.Zero"/> for <see cref="TimeSeriesTimestamps.Sequential"/>.</value>
    public TimeSpan Interval => TimeSpan.FromTicks(intervalTicks);

    /// <summary>The rows given so far, the training part's included.</summary>
    /// <value>Grows by one with every <see cref="Observe(DateTime, ReadOnlySpan{double})"/>.</value>
    public long ObservedRows => observed;

    /// <summary>The timestamp of the last row given.</summary>
    /// <value>The training part's last until the first observation.</value>
    public DateTime LastTimestamp => new(lastTicks);

    /// <summary>The per-column means the values are normalised with.</summary>
    /// <value>Learnt from the training part's finite values.</value>
    public IReadOnlyList<double> Means => means;

    /// <summary>The per-column standard deviations the values are normalised with.</summary>
    /// <value>Learnt from the training part, at least 1e-3 times max(1, |mean|).</value>
    public IReadOnlyList<double> Deviations => deviations;

    /// <summary>
    /// Trains a detector on the first rows of a series and positions it after them, ready to observe the next row.
    /// </summary>
    /// <param name="timestamps">The training rows' timestamps, increasing.</param>
    /// <param name="rows">The training rows' values (NaN for missing), each with the same number of columns.</param>
    /// <param name="options">The settings; defaults when null.</param>
    /// <returns>The trained detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">
    /// The counts differ, a row has another width, there are not more points than the window, timestamps do not
    /// increase, or a regular series has a step that is not a whole number of its interval (the row is named).
    /// </exception>
    public static TimeSeriesDetector Train(IReadOnlyList<DateTime> timestamps, IReadOnlyList<double[]> rows, TimeSeriesDetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new TimeSeriesDetectorOptions();
        options.Validate();
        if (rows.Count != timestamps.Count) throw new ArgumentException($"{rows.Count} rows for {timestamps.Count} timestamps.", nameof(rows));
        if (rows.Count <= options.WindowSize)
            throw new ArgumentException($"The training part has {rows.Count} rows; it needs more than the window of {options.WindowSize}.", nameof(rows));
        var columns = rows[0]?.Length ?? 0;
        if (columns == 0) throw new ArgumentException("Row 1 has no values.", nameof(rows));
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null || rows[i].Length != columns) throw new ArgumentException($"Row {i + 1} has {rows[i]?.Length ?? 0} values, row 1 has {columns}.", nameof(rows));
            if (i > 0 && OutOfOrder(timestamps[i - 1].Ticks, timestamps[i].Ticks, options.Timestamps))
                throw new ArgumentException($"Row {i + 1} ({timestamps[i]:yyyy-MM-dd HH:mm:ss}) is not after row {i} ({timestamps[i - 1]:yyyy-MM-dd HH:mm:ss}): {OrderRule(options.Timestamps)}.", nameof(timestamps));
        }

        var intervalTicks = options.Timestamps == TimeSeriesTimestamps.Regular ? MostFrequentStep(timestamps) : 0;
        var period = DailyPeriod(MostFrequentStep(timestamps));
        var (means, deviations) = Normalisation(rows, columns);

        // The training part as the stream sees it: gaps of a regular series become missing points.
        var size = options.WindowSize * columns;
        var values = new List<float>();
        var masks = new List<bool>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0 && intervalTicks > 0)
            {
                var gap = CheckStep(timestamps[i - 1].Ticks, timestamps[i].Ticks, intervalTicks, i + 1) - 1;
                for (var g = 0; g < Math.Min(gap, options.WindowSize); g++)
                {
                    for (var c = 0; c < columns; c++)
                    {
                        values.Add(0);
                        masks.Add(true);
                    }
                }
            }
            for (var c = 0; c < columns; c++)
            {
                var (value, isMissing) = Normalise(rows[i][c], means[c], deviations[c], options.ClipSigma);
                values.Add(value);
                masks.Add(isMissing);
            }
        }
        var points = values.Count / columns;
        var windowCount = points - options.WindowSize + 1;
        var flat = values.ToArray();

        VariationalAutoencoder model;
        lock (InitialisationLock)
        {
            torch.manual_seed(options.Seed);
            model = new VariationalAutoencoder(new VaeOptions
            {
                InputSize = size,
                HiddenSizes = options.HiddenSizes.ToArray(),
                LatentSize = options.LatentSize,
                Likelihood = VaeLikelihood.Gaussian,
                LearnGaussianVariance = true,
            });
        }
        try
        {
            var missingFlags = masks.ToArray();
            Fit(model, flat, missingFlags, columns, windowCount, options, options.Epochs, options.Seed);

            var detector = new TimeSeriesDetector(model, options, columns, means, deviations, intervalTicks, period);
            detector.Warm(flat, missingFlags, points, timestamps[^1].Ticks, rows.Count);
            detector.WarmStreams(timestamps, rows);
            return detector;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains on the first <paramref name="trainingRows"/> rows of a table and scores every later row in order, each
    /// from the rows before it only: NAB's protocol with its probationary period as the training part.
    /// </summary>
    /// <param name="table">The series.</param>
    /// <param name="trainingRows">The rows to learn from; they get <see cref="TimeSeriesScore.IsTraining"/> and a score of 0.</param>
    /// <param name="options">The settings; defaults when null.</param>
    /// <returns>One score per row of the table, in its order.</returns>
    /// <exception cref="ArgumentException">As for <see cref="Train"/> and <see cref="Observe(DateTime, ReadOnlySpan{double})"/>, with the table's source named.</exception>
    public static TimeSeriesScore[] Run(TimeSeriesTable table, int trainingRows, TimeSeriesDetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        using var detector = Run(table.Timestamps, table.Rows, trainingRows, options, out var scores, table.Source);
        return scores;
    }

    /// <summary>
    /// Trains on the first <paramref name="trainingRows"/> rows and scores every later row in order, each from the rows
    /// before it only, and gives back the detector positioned after the last row.
    /// </summary>
    /// <param name="timestamps">The rows' timestamps.</param>
    /// <param name="rows">The rows' values (NaN for missing).</param>
    /// <param name="trainingRows">The rows to learn from; they get <see cref="TimeSeriesScore.IsTraining"/> and a score of 0.</param>
    /// <param name="options">The settings; defaults when null.</param>
    /// <param name="scores">One score per row, in order.</param>
    /// <param name="source">What to call the series in error messages.</param>
    /// <returns>The detector after the last row; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">As for <see cref="Train"/> and <see cref="Observe(DateTime, ReadOnlySpan{double})"/>, with the source named.</exception>
    public static TimeSeriesDetector Run(IReadOnlyList<DateTime> timestamps, IReadOnlyList<double[]> rows, int trainingRows, TimeSeriesDetectorOptions? options,
        out TimeSeriesScore[] scores, string source = "the series")
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count != timestamps.Count) throw new ArgumentException($"{source}: {rows.Count} rows for {timestamps.Count} timestamps.", nameof(rows));
        if (trainingRows <= 0 || trainingRows > rows.Count)
            throw new ArgumentOutOfRangeException(nameof(trainingRows), trainingRows, $"{source}: the training part must be 1 to {rows.Count} rows.");
        TimeSeriesDetector detector;
        try
        {
            detector = Train(Slice(timestamps, trainingRows), Slice(rows, trainingRows), options);
        }
        catch (ArgumentException e)
        {
            throw Named(source, e);
        }
        try
        {
            scores = new TimeSeriesScore[rows.Count];
            for (var i = 0; i < trainingRows; i++) scores[i] = new TimeSeriesScore(timestamps[i], double.NaN, 0, false, rows[i].All(double.IsNaN), true);
            for (var i = trainingRows; i < rows.Count; i++)
            {
                try
                {
                    scores[i] = detector.Observe(timestamps[i], rows[i]);
                }
                catch (ArgumentException e)
                {
                    throw Named(source, e);
                }
            }
            return detector;
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }

    /// <summary>Scores the next point of a single-column series.</summary>
    /// <param name="timestamp">The point's timestamp, after the previous one's.</param>
    /// <param name="value">Its value; NaN when missing.</param>
    /// <returns>The point's score, from the points before it and itself only.</returns>
    /// <exception cref="ArgumentException">The detector has more than one column, or the timestamp is out of order or off the interval.</exception>
    public TimeSeriesScore Observe(DateTime timestamp, double value) => Observe(timestamp, new ReadOnlySpan<double>(in value));

    /// <summary>
    /// Scores the next point: pushes it into the window (after the missing points of a gap, for a regular series) and
    /// returns its score. Work and memory are proportional to the window.
    /// </summary>
    /// <param name="timestamp">The point's timestamp, after the previous one's.</param>
    /// <param name="values">Its values, one per column; NaN where missing.</param>
    /// <returns>The point's score, from the points before it and itself only.</returns>
    /// <exception cref="ArgumentException">
    /// The values are not one per column, the timestamp is not after the previous row's, or (regular series) its step
    /// is not a whole number of the interval; the message names the row (counted from 1 over the training part and
    /// the observed rows) and its timestamp. The detector's state is unchanged.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The detector is disposed.</exception>
    public TimeSeriesScore Observe(DateTime timestamp, ReadOnlySpan<double> values)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var row = observed + 1;
        if (values.Length != columns) throw new ArgumentException($"Row {row} has {values.Length} values; the detector has {columns} columns.", nameof(values));
        if (OutOfOrder(lastTicks, timestamp.Ticks, Options.Timestamps))
            throw new ArgumentException($"Row {row} ({timestamp:yyyy-MM-dd HH:mm:ss}) is not after the previous row ({new DateTime(lastTicks):yyyy-MM-dd HH:mm:ss}): {OrderRule(Options.Timestamps)}.", nameof(timestamp));
        if (intervalTicks > 0)
        {
            var gap = CheckStep(lastTicks, timestamp.Ticks, intervalTicks, row) - 1;
            for (var g = 0; g < Math.Min(gap, (long)windowSize); g++) PushMissing();
            PushStreamGap(gap);
        }

        Shift();
        var allMissing = true;
        var offset = (windowSize - 1) * columns;
        for (var c = 0; c < columns; c++)
        {
            var (value, isMissing) = Normalise(values[c], means[c], deviations[c], Options.ClipSigma);
            window[offset + c] = value;
            missing[offset + c] = isMissing;
            allMissing &= isMissing;
        }
        lastTicks = timestamp.Ticks;
        observed++;
        Keep(window.AsSpan(offset, columns), missing.AsSpan(offset, columns));
        for (var c = 0; c < columns; c++) normalised[c] = Unclipped(values[c], c);
        var streamScore = streams.Observe(normalised);
        if (allMissing)
        {
            RetrainIfDue();
            return new TimeSeriesScore(timestamp, double.NaN, 0, false, true, false);
        }

        var raw = RawScore();
        var score = Math.Max(Calibrate(raw), streamScore);
        if (suppressed > 0)
        {
            suppressed--;
            score = Math.Min(score, BelowThreshold);
        }
        else if (score >= Options.Threshold)
        {
            suppressed = Options.SuppressionPoints;
        }
        RetrainIfDue();
        return new TimeSeriesScore(timestamp, raw, score, score >= Options.Threshold, false, false);
    }

    // After the point is scored, so that its score comes from the model the rows before it trained.
    private void RetrainIfDue()
    {
        if (Options.RetrainEvery == 0 || ++sinceRetrain < Options.RetrainEvery) return;
        sinceRetrain = 0;
        Retrain();
    }

    /// <summary>Scores the next rows in order, as repeated <see cref="Observe(DateTime, ReadOnlySpan{double})"/>.</summary>
    /// <param name="timestamps">The rows' timestamps.</param>
    /// <param name="rows">The rows' values.</param>
    /// <returns>One score per row.</returns>
    /// <exception cref="ArgumentException">As for <see cref="Observe(DateTime, ReadOnlySpan{double})"/>; the rows before the bad one stay observed.</exception>
    public TimeSeriesScore[] ObserveMany(IReadOnlyList<DateTime> timestamps, IReadOnlyList<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count != timestamps.Count) throw new ArgumentException($"{rows.Count} rows for {timestamps.Count} timestamps.", nameof(rows));
        var scores = new TimeSeriesScore[rows.Count];
        for (var i = 0; i < rows.Count; i++) scores[i] = Observe(timestamps[i], rows[i]);
        return scores;
    }

    /// <summary>
    /// Saves the detector (its VAE, normalisation, options, threshold, interval) and its stream state (window and
    /// calibration history) to one Vae model file, atomically; <see cref="Load(string)"/> continues from there bit for bit.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <exception cref="IOException">The file could not be written; an earlier file is unchanged.</exception>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        model.Save(path, Attachments());
    }

    /// <summary>Writes the detector and its stream state to a stream, as <see cref="Save(string)"/> writes a file.</summary>
    /// <param name="stream">A writable stream; it is left open.</param>
    public void Save(Stream stream)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        VaeModelFile.Save(model, stream, Attachments());
    }

    /// <summary>Loads a detector saved by <see cref="Save(string)"/>, in the stream state it was saved in.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid Vae model file, or holds no time-series detector, or its detector does not match its model.</exception>
    public static TimeSeriesDetector Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = new MemoryStream(File.ReadAllBytes(path));
        return Load(stream, path);
    }

    /// <summary>Loads a detector from a stream written by <see cref="Save(Stream)"/>.</summary>
    /// <param name="stream">A readable, seekable stream positioned at the saved detector.</param>
    /// <param name="sourceName">What to call the source in error messages.</param>
    /// <returns>The detector; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The data is not a saved detector.</exception>
    public static TimeSeriesDetector Load(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var source = sourceName ?? "the stream";
        var start = stream.Position;
        var attachments = VaeModelFile.ReadAttachments(stream, source);
        if (!attachments.TryGetValue(AttachmentName, out var json))
            throw new InvalidDataException($"{source}: a Vae model file without the '{AttachmentName}' attachment, so not a saved time-series detector.");
        SavedDetector saved;
        try
        {
            saved = JsonSerializer.Deserialize<SavedDetector>(json) ?? throw new InvalidDataException($"{source}: the '{AttachmentName}' attachment is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the '{AttachmentName}' attachment is not valid JSON: {e.Message}", e);
        }
        if (saved.Format is < 1 or > FileFormat) throw new InvalidDataException($"{source}: time-series detector format {saved.Format}; this library reads 1 to {FileFormat}.");
        // Older files continue as they were: format 1 had no streaming scores; format 2 calibrated the range score
        // against its history and had fixed digits for the seasonal and level-shift scores (options since format 3);
        // formats 1 to 3 counted the VAE's score at every point (VaeScoreGate since format 4).
        var options = saved.Format switch
        {
            1 => saved.Options with { RangeScore = false, SeasonalScore = false, LevelShiftPoints = 0, VaeScoreGate = 0 },
            2 => saved.Options with { RangeScale = 0, SeasonalDigits = 100, LevelShiftDigits = 30, VaeScoreGate = 0 },
            3 => saved.Options with { VaeScoreGate = 0 },
            _ => saved.Options,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: the saved options are invalid: {e.Message}", e);
        }
        stream.Position = start;
        var model = VaeModelFile.Load(stream, source);
        try
        {
            var size = saved.Options.WindowSize * saved.Columns;
            if (model.Options.InputSize != size || saved.Means.Length != saved.Columns || saved.Deviations.Length != saved.Columns
                || saved.Window.Length != size || saved.Missing.Length != size
                || saved.History.Length != saved.Options.CalibrationHistory || saved.Recent.Length != saved.Options.ShortAverage
                || model.LogVariance is null)
                throw new InvalidDataException($"{source}: the time-series detector's sizes do not match its model ({model.Options.InputSize} inputs for a window of {saved.Options.WindowSize} x {saved.Columns}).");
            if (saved.Period < 0 || saved.Period > MaximumPeriod) throw new InvalidDataException($"{source}: the time-series detector's period {saved.Period} is out of range.");
            var detector = new TimeSeriesDetector(model, options, saved.Columns, saved.Means, saved.Deviations, saved.IntervalTicks, saved.Period);
            if (saved.Format > 1 && (saved.Streams is null || !detector.streams.Restore(saved.Streams)))
                throw new InvalidDataException($"{source}: the time-series detector's streaming scores do not match its options.");
            saved.Window.CopyTo(detector.window, 0);
            saved.Missing.CopyTo(detector.missing, 0);
            saved.History.CopyTo(detector.calibration.History, 0);
            saved.Recent.CopyTo(detector.recent, 0);
            detector.lastTicks = saved.LastTicks;
            detector.observed = saved.Observed;
            detector.calibration.Count = saved.HistoryCount;
            detector.calibration.Next = saved.HistoryNext;
            detector.calibration.Sum = saved.HistorySum;
            detector.calibration.SumOfSquares = saved.HistorySumOfSquares;
            detector.calibration.SinceResum = saved.SinceResum;
            detector.recentCount = saved.RecentCount;
            detector.recentNext = saved.RecentNext;
            detector.suppressed = saved.Suppressed;
            if (saved.RecentPoints.Length != detector.recentPoints.Length || saved.RecentMissing.Length != detector.recentMissing.Length)
                throw new InvalidDataException($"{source}: the time-series detector's kept points do not match its options.");
            saved.RecentPoints.CopyTo(detector.recentPoints, 0);
            saved.RecentMissing.CopyTo(detector.recentMissing, 0);
            detector.recentPointCount = saved.RecentPointCount;
            detector.recentPointNext = saved.RecentPointNext;
            detector.sinceRetrain = saved.SinceRetrain;
            detector.retrainings = saved.Retrainings;
            return detector;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private bool disposed;

    /// <summary>Frees the model's native memory.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        model.Dispose();
    }

    private Dictionary<string, string> Attachments() => new()
    {
        [AttachmentName] = JsonSerializer.Serialize(new SavedDetector
        {
            Format = FileFormat,
            Options = Options,
            Columns = columns,
            Means = means,
            Deviations = deviations,
            IntervalTicks = intervalTicks,
            Window = window,
            Missing = missing,
            LastTicks = lastTicks,
            Observed = observed,
            History = calibration.History,
            HistoryCount = calibration.Count,
            HistoryNext = calibration.Next,
            HistorySum = calibration.Sum,
            HistorySumOfSquares = calibration.SumOfSquares,
            SinceResum = calibration.SinceResum,
            Recent = recent,
            RecentCount = recentCount,
            RecentNext = recentNext,
            Suppressed = suppressed,
            RecentPoints = recentPoints,
            RecentMissing = recentMissing,
            RecentPointCount = recentPointCount,
            RecentPointNext = recentPointNext,
            SinceRetrain = sinceRetrain,
            Retrainings = retrainings,
            Period = period,
            Streams = streams.Saved(),
        }),
    };

    // Fills the window with the training part's last points and the calibration history with its scores.
    private void Warm(float[] values, bool[] masks, int points, long lastTimestampTicks, long rows)
    {
        var size = windowSize * columns;
        for (var p = Math.Max(0, points - Options.RetrainPoints); p < points && recentPoints.Length > 0; p++) Keep(values.AsSpan(p * columns, columns), masks.AsSpan(p * columns, columns));
        WarmCalibration(values, masks, points);
        lastTicks = lastTimestampTicks;
        observed = rows;
    }

    // Scores the windows of a stretch of points into the calibration history, as if they had streamed past; the window ends as the stretch does.
    private void WarmCalibration(float[] values, bool[] masks, int points)
    {
        var size = windowSize * columns;
        for (var end = windowSize; end <= points; end++)
        {
            Array.Copy(values, (end - windowSize) * columns, window, 0, size);
            Array.Copy(masks, (end - windowSize) * columns, missing, 0, size);
            var newestMissing = true;
            for (var c = 0; c < columns; c++) newestMissing &= missing[size - columns + c];
            if (newestMissing) continue;
            Calibrate(RawScore());
        }
    }

    // Feeds the training part to the streaming scores, so that their history and calibration start filled.
    private void WarmStreams(IReadOnlyList<DateTime> timestamps, IReadOnlyList<double[]> rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0 && intervalTicks > 0) PushStreamGap((timestamps[i].Ticks - timestamps[i - 1].Ticks) / intervalTicks - 1);
            for (var c = 0; c < columns; c++) normalised[c] = Unclipped(rows[i][c], c);
            streams.Observe(normalised);
        }
    }

    private void PushStreamGap(long gap)
    {
        if (gap <= 0 || !streams.Active) return;
        Array.Fill(normalised, double.NaN);
        for (var g = 0; g < Math.Min(gap, (long)MaximumPeriod + windowSize); g++) streams.Observe(normalised);
    }

    private double Unclipped(double value, int c) => double.IsFinite(value) ? (value - means[c]) / deviations[c] : double.NaN;

    // One day in points when the step divides a day into 2 to MaximumPeriod points; 0 otherwise.
    private static int DailyPeriod(long stepTicks)
    {
        if (stepTicks <= 0 || TimeSpan.TicksPerDay % stepTicks != 0) return 0;
        var points = TimeSpan.TicksPerDay / stepTicks;
        return points >= 2 && points <= MaximumPeriod ? (int)points : 0;
    }

    private void Keep(ReadOnlySpan<float> values, ReadOnlySpan<bool> masks)
    {
        if (recentPoints.Length == 0) return;
        values.CopyTo(recentPoints.AsSpan(recentPointNext * columns, columns));
        masks.CopyTo(recentMissing.AsSpan(recentPointNext * columns, columns));
        recentPointNext = (recentPointNext + 1) % Options.RetrainPoints;
        recentPointCount = Math.Min(recentPointCount + 1, Options.RetrainPoints);
    }

    // Fine-tunes the model on the kept recent points, then scores them afresh into a new calibration history.
    private void Retrain()
    {
        var points = recentPointCount;
        var flat = new float[points * columns];
        var masks = new bool[points * columns];
        var oldest = recentPointCount < Options.RetrainPoints ? 0 : recentPointNext;
        for (var p = 0; p < points; p++)
        {
            var at = (oldest + p) % Options.RetrainPoints;
            Array.Copy(recentPoints, at * columns, flat, p * columns, columns);
            Array.Copy(recentMissing, at * columns, masks, p * columns, columns);
        }
        retrainings++;
        Fit(model, flat, masks, columns, points - windowSize + 1, Options, Options.RetrainEpochs, Options.Seed + retrainings);
        network = new WindowNetwork(model);
        inverseVariance = network.LogVariance.Select(v => (float)Math.Exp(-v)).ToArray();
        recentCount = recentNext = 0;
        calibration.Clear();
        // The last window of the kept points is the stream's window: scoring them leaves the window as it was.
        WarmCalibration(flat, masks, points);
    }

    private void Shift()
    {
        var keep = (windowSize - 1) * columns;
        Array.Copy(window, columns, window, 0, keep);
        Array.Copy(missing, columns, missing, 0, keep);
    }

    private void PushMissing()
    {
        Shift();
        var offset = (windowSize - 1) * columns;
        for (var c = 0; c < columns; c++)
        {
            window[offset + c] = 0;
            missing[offset + c] = true;
        }
        Keep(window.AsSpan(offset, columns), missing.AsSpan(offset, columns));
    }

    private double RawScore()
    {
        var size = windowSize * columns;
        Array.Copy(window, scratch, size);
        if (Array.IndexOf(missing, true) >= 0)
        {
            var clip = (float)Options.ClipSigma;
            for (var round = 0; round < Options.ImputationRounds; round++)
            {
                network.Encode(scratch);
                network.Decode(0, reconstruction);
                for (var i = 0; i < size; i++)
                {
                    if (missing[i]) scratch[i] = Math.Clamp(reconstruction[i], -clip, clip);
                }
            }
        }
        network.Encode(scratch);
        var first = size - columns;
        network.Decode(first, newest);
        var nll = 0.0;
        for (var c = 0; c < columns; c++)
        {
            if (missing[first + c]) continue;
            var error = (double)window[first + c] - newest[c];
            nll += 0.5 * ((error * error * inverseVariance[first + c]) + network.LogVariance[first + c] + LogTwoPi);
        }
        return nll;
    }

    // The calibrated score against the history before this point; then the point joins the history.
    private double Calibrate(double raw)
    {
        recent[recentNext] = raw;
        recentNext = (recentNext + 1) % recent.Length;
        recentCount = Math.Min(recentCount + 1, recent.Length);
        var shortMean = 0.0;
        for (var i = 0; i < recentCount; i++) shortMean += recent[i];
        shortMean /= recentCount;

        // The gate compares with the raw scores before this one, as the calibration does; off, it costs nothing.
        var gate = Options.VaeScoreGate;
        var gated = gate > 0 && shortMean < gate * calibration.Maximum;
        var score = calibration.Calibrate(raw, shortMean);
        return gated ? 0 : score;
    }

    private static void Fit(VariationalAutoencoder model, float[] flat, bool[] masks, int columns, int windowCount, TimeSeriesDetectorOptions options, int epochs, long seed)
    {
        var size = options.WindowSize * columns;
        var trainerOptions = new VaeTrainerOptions { Epochs = epochs, BatchSize = options.BatchSize, LearningRate = options.LearningRate, Seed = seed, Beta = options.Beta };
        using (var trainer = options.MaskedElbo ? new VaeTrainer(new MaskedElboTraining(model), trainerOptions) : new VaeTrainer(model, trainerOptions))
        {
            trainer.Fit(epoch => Batches(flat, masks, columns, windowCount, size, options, seed, epoch));
        }
        model.eval();
    }

    // Each epoch's batches of windows, in a fresh order, with Donut's missing points injected afresh (set to 0). For the
    // M-ELBO a row is the window and then its mask (the missing and the injected points 0), else the window alone.
    private static IEnumerable<Tensor> Batches(float[] flat, bool[] masks, int columns, int windowCount, int size, TimeSeriesDetectorOptions options, long seed, int epoch)
    {
        var random = new Random(unchecked((int)(seed * 7919) + epoch));
        var order = Enumerable.Range(0, windowCount).ToArray();
        random.Shuffle(order);
        var batches = (windowCount + options.BatchSize - 1) / options.BatchSize;
        var width = options.MaskedElbo ? 2 * size : size;
        // Created as the trainer enumerates them, so each batch is the trainer's to dispose after its step.
        return Enumerable.Range(0, batches).Select(b =>
        {
            var count = Math.Min(options.BatchSize, windowCount - (b * options.BatchSize));
            var data = new float[count * width];
            for (var i = 0; i < count; i++)
            {
                var start = order[(b * options.BatchSize) + i] * columns;
                if (options.MaskedElbo)
                    MaskedElboTraining.WriteRow(flat.AsSpan(start, size), masks.AsSpan(start, size), data.AsSpan(i * width, width));
                else
                    Array.Copy(flat, start, data, i * width, size);
            }
            if (options.MissingInjectionRate > 0)
            {
                for (var i = 0; i < count; i++)
                {
                    for (var j = 0; j < size; j++)
                    {
                        if (random.NextDouble() >= options.MissingInjectionRate) continue;
                        data[(i * width) + j] = 0;
                        if (options.MaskedElbo) data[(i * width) + size + j] = 0;
                    }
                }
            }
            return torch.tensor(data, [count, width]);
        });
    }

    private static (double[] Means, double[] Deviations) Normalisation(IReadOnlyList<double[]> rows, int columns)
    {
        var means = new double[columns];
        var deviations = new double[columns];
        for (var c = 0; c < columns; c++)
        {
            double sum = 0, count = 0;
            foreach (var row in rows)
            {
                if (double.IsFinite(row[c]))
                {
                    sum += row[c];
                    count++;
                }
            }
            var mean = count > 0 ? sum / count : 0;
            double squares = 0;
            foreach (var row in rows)
            {
                if (double.IsFinite(row[c])) squares += (row[c] - mean) * (row[c] - mean);
            }
            means[c] = mean;
            deviations[c] = Math.Max(count > 1 ? Math.Sqrt(squares / count) : 0, 1e-3 * Math.Max(1, Math.Abs(mean)));
        }
        return (means, deviations);
    }

    private static (float Value, bool Missing) Normalise(double value, double mean, double deviation, double clip) =>
        double.IsNaN(value) ? (0f, true) : ((float)Math.Clamp((value - mean) / deviation, -clip, clip), false);

    // A sequential series only needs its timestamps not to go back (NAB's files repeat a timestamp here and there).
    private static bool OutOfOrder(long previousTicks, long ticks, TimeSeriesTimestamps mode) =>
        mode == TimeSeriesTimestamps.Sequential ? ticks < previousTicks : ticks <= previousTicks;

    private static string OrderRule(TimeSeriesTimestamps mode) =>
        mode == TimeSeriesTimestamps.Sequential ? "timestamps must not decrease" : "timestamps of a regular series must increase";

    private static ArgumentException Named(string source, ArgumentException e)
    {
        var message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
        return new ArgumentException($"{source}: {message}", e);
    }

    private static long CheckStep(long previousTicks, long ticks, long intervalTicks, long row)
    {
        var step = ticks - previousTicks;
        if (step % intervalTicks != 0)
            throw new ArgumentException(
                $"Row {row} ({new DateTime(ticks):yyyy-MM-dd HH:mm:ss}) comes {TimeSpan.FromTicks(step)} after the previous row, not a whole number of the series' interval {TimeSpan.FromTicks(intervalTicks)}: the series is irregular. Resample it, or read it with {nameof(TimeSeriesTimestamps)}.{nameof(TimeSeriesTimestamps.Sequential)}.",
                "timestamps");
        return step / intervalTicks;
    }

    private static long MostFrequentStep(IReadOnlyList<DateTime> timestamps)
    {
        var counts = new Dictionary<long, int>();
        for (var i = 1; i < timestamps.Count; i++)
        {
            var step = timestamps[i].Ticks - timestamps[i - 1].Ticks;
            counts[step] = counts.GetValueOrDefault(step) + 1;
        }
        // The smallest of the most frequent steps, so that the choice does not depend on the dictionary's order.
        return counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key).First().Key;
    }

    private static T[] Slice<T>(IReadOnlyList<T> list, int count)
    {
        var slice = new T[count];
        for (var i = 0; i < count; i++) slice[i] = list[i];
        return slice;
    }

    private sealed class SavedDetector
    {
        public int Format { get; init; }
        public TimeSeriesDetectorOptions Options { get; init; } = new();
        public int Columns { get; init; }
        public double[] Means { get; init; } = [];
        public double[] Deviations { get; init; } = [];
        public long IntervalTicks { get; init; }
        public float[] Window { get; init; } = [];
        public bool[] Missing { get; init; } = [];
        public long LastTicks { get; init; }
        public long Observed { get; init; }
        public double[] History { get; init; } = [];
        public int HistoryCount { get; init; }
        public int HistoryNext { get; init; }
        public double HistorySum { get; init; }
        public double HistorySumOfSquares { get; init; }
        public int SinceResum { get; init; }
        public double[] Recent { get; init; } = [];
        public int RecentCount { get; init; }
        public int RecentNext { get; init; }
        public int Suppressed { get; init; }
        public float[] RecentPoints { get; init; } = [];
        public bool[] RecentMissing { get; init; } = [];
        public int RecentPointCount { get; init; }
        public int RecentPointNext { get; init; }
        public int SinceRetrain { get; init; }
        public int Retrainings { get; init; }
        public int Period { get; init; }
        public SavedStreamScores? Streams { get; init; }
    }
}
