using System.Text.Json.Serialization;

namespace Vae.Core.TimeSeries;

/// <summary>
/// Cheap streaming scores beside the VAE's: a range score (the newest value beyond the range of every value seen
/// before it, in units of that range, on a fixed scale or calibrated against its own history), and, each calibrated
/// against its own history (<see cref="StreamCalibration"/>), a
/// seasonal score (the recent points' mean difference from the points one period earlier) and a level-shift score
/// (the mean of the last few points against the mean and deviation of the longer stretch before them). Values are
/// the normalised ones, NaN when missing; per column, the highest raw score of the columns is calibrated.
/// </summary>
internal sealed class StreamScores
{
    // Chosen on NAB's 51 series with one setting for all of them (docs/time-series.md).
    private const double RangeFloor = 0.01;
    private const double RangeDigits = 100;
    private const double SeasonalFloor = 0.05;
    private const double LevelFloor = 0.2;
    private const int SeasonalPoints = 6;

    private readonly int columns;
    private readonly int period;
    private readonly int levelPoints;
    private readonly int levelWindow;
    private readonly bool rangeOn;
    private readonly double rangeScale;
    private readonly int capacity;
    private readonly double[] buffer;
    private readonly double[] minimum;
    private readonly double[] maximum;
    private readonly StreamCalibration range;
    private readonly StreamCalibration seasonal;
    private readonly StreamCalibration level;
    private int count;
    private int next;

    public StreamScores(TimeSeriesDetectorOptions options, int columns, int period)
    {
        this.columns = columns;
        this.period = options.SeasonalScore ? period : 0;
        levelPoints = options.LevelShiftPoints;
        levelWindow = options.LevelShiftWindow;
        rangeOn = options.RangeScore;
        rangeScale = options.RangeScale;
        capacity = Math.Max(1, Math.Max(this.period > 0 ? this.period + SeasonalPoints : 0, levelPoints > 0 ? levelPoints + levelWindow : 0));
        buffer = new double[capacity * columns];
        Array.Fill(buffer, double.NaN);
        minimum = new double[columns];
        maximum = new double[columns];
        Array.Fill(minimum, double.PositiveInfinity);
        Array.Fill(maximum, double.NegativeInfinity);
        range = new StreamCalibration(options.CalibrationHistory, RangeFloor, RangeDigits);
        seasonal = new StreamCalibration(options.CalibrationHistory, SeasonalFloor, options.SeasonalDigits);
        level = new StreamCalibration(options.CalibrationHistory, LevelFloor, options.LevelShiftDigits);
    }

    /// <summary>Whether any score is on.</summary>
    public bool Active => rangeOn || period > 0 || levelPoints > 0;

    /// <summary>The detected period in points (0 when none or off).</summary>
    public int Period => period;

    // The value of column c, age points ago (0 the newest).
    private double At(int age, int c) => buffer[((((next - 1 - age) % capacity) + capacity) % capacity * columns) + c];

    /// <summary>Pushes a point (normalised values, NaN when missing) and gives the highest calibrated score of the point's scores (0 when all missing).</summary>
    public double Observe(ReadOnlySpan<double> values)
    {
        if (!Active) return 0;
        var allMissing = true;
        for (var c = 0; c < columns; c++)
        {
            buffer[(next * columns) + c] = values[c];
            allMissing &= double.IsNaN(values[c]);
        }
        next = (next + 1) % capacity;
        count = Math.Min(count + 1, capacity);
        if (allMissing) return 0;

        var score = 0.0;
        if (rangeOn)
        {
            var raw = double.NaN;
            for (var c = 0; c < columns; c++)
            {
                var x = values[c];
                if (double.IsNaN(x)) continue;
                if (maximum[c] >= minimum[c])
                {
                    var spread = Math.Max(maximum[c] - minimum[c], 1e-3);
                    var beyond = Math.Max(0, Math.Max(x - maximum[c], minimum[c] - x)) / spread;
                    raw = double.IsNaN(raw) ? beyond : Math.Max(raw, beyond);
                }
                minimum[c] = Math.Min(minimum[c], x);
                maximum[c] = Math.Max(maximum[c], x);
            }
            // On a fixed scale a new extreme counts for what it is; calibrated against the history (files of format 2),
            // the huge excesses of the first points over a range of almost nothing dwarf every later one.
            if (!double.IsNaN(raw)) score = Math.Max(score, rangeScale > 0 ? Math.Min(1, raw / rangeScale) : range.Calibrate(raw));
        }
        if (period > 0 && count >= period + SeasonalPoints)
        {
            var raw = double.NaN;
            for (var c = 0; c < columns; c++)
            {
                double sum = 0;
                var n = 0;
                for (var a = 0; a < SeasonalPoints; a++)
                {
                    var d = At(a, c) - At(a + period, c);
                    if (double.IsNaN(d)) continue;
                    sum += d;
                    n++;
                }
                if (n == 0) continue;
                var deviation = Math.Abs(sum / n);
                raw = double.IsNaN(raw) ? deviation : Math.Max(raw, deviation);
            }
            if (!double.IsNaN(raw)) score = Math.Max(score, seasonal.Calibrate(raw));
        }
        if (levelPoints > 0 && count >= levelPoints + levelWindow)
        {
            var raw = double.NaN;
            for (var c = 0; c < columns; c++)
            {
                double shortSum = 0;
                var shortCount = 0;
                for (var a = 0; a < levelPoints; a++)
                {
                    var x = At(a, c);
                    if (double.IsNaN(x)) continue;
                    shortSum += x;
                    shortCount++;
                }
                double sum = 0, squares = 0;
                var n = 0;
                for (var a = levelPoints; a < levelPoints + levelWindow; a++)
                {
                    var x = At(a, c);
                    if (double.IsNaN(x)) continue;
                    sum += x;
                    squares += x * x;
                    n++;
                }
                if (shortCount == 0 || n < 2) continue;
                var mean = sum / n;
                var deviation = Math.Sqrt(Math.Max(0, (squares / n) - (mean * mean)));
                var shift = Math.Abs((shortSum / shortCount) - mean) / Math.Max(deviation, LevelFloor);
                raw = double.IsNaN(raw) ? shift : Math.Max(raw, shift);
            }
            if (!double.IsNaN(raw)) score = Math.Max(score, level.Calibrate(raw));
        }
        return score;
    }

    /// <summary>The state to save.</summary>
    public SavedStreamScores Saved() => new()
    {
        Buffer = buffer, Count = count, Next = next, Minimum = minimum, Maximum = maximum,
        Range = range.Saved(), Seasonal = seasonal.Saved(), Level = level.Saved(),
    };

    /// <summary>Restores a saved state.</summary>
    /// <returns>False when the sizes differ.</returns>
    public bool Restore(SavedStreamScores saved)
    {
        if (saved.Buffer.Length != buffer.Length || saved.Minimum.Length != columns || saved.Maximum.Length != columns
            || saved.Count < 0 || saved.Count > capacity || saved.Next < 0 || saved.Next >= capacity) return false;
        saved.Buffer.CopyTo(buffer, 0);
        saved.Minimum.CopyTo(minimum, 0);
        saved.Maximum.CopyTo(maximum, 0);
        count = saved.Count;
        next = saved.Next;
        return range.Restore(saved.Range) && seasonal.Restore(saved.Seasonal) && level.Restore(saved.Level);
    }
}

/// <summary>A <see cref="StreamScores"/>' saved state.</summary>
internal sealed class SavedStreamScores
{
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public double[] Buffer { get; init; } = [];
    public int Count { get; init; }
    public int Next { get; init; }
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public double[] Minimum { get; init; } = [];
    [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    public double[] Maximum { get; init; } = [];
    public SavedCalibration Range { get; init; } = new();
    public SavedCalibration Seasonal { get; init; } = new();
    public SavedCalibration Level { get; init; } = new();
}
