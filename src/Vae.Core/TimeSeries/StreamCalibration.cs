namespace Vae.Core.TimeSeries;

/// <summary>
/// Calibrates a stream of raw scores against their own history: the z-score of the newest raw score against the mean
/// and standard deviation (at least a floor) of the previous raw scores, mapped through the Gaussian upper tail to
/// min(1, -log10(p) / digits). Summed afresh on every call over a bounded history, so a restored copy continues bit for bit.
/// </summary>
internal sealed class StreamCalibration
{
    private readonly double minimumDeviation;
    private readonly double digits;

    public StreamCalibration(int capacity, double minimumDeviation, double digits)
    {
        History = new double[capacity];
        this.minimumDeviation = minimumDeviation;
        this.digits = digits;
    }

    /// <summary>The ring of previous raw scores.</summary>
    public double[] History { get; }

    /// <summary>How many of <see cref="History"/> hold scores; setting it (a restore) makes <see cref="Maximum"/> look again.</summary>
    public int Count
    {
        get => count;
        set
        {
            count = value;
            highest = double.NaN;
        }
    }

    private int count;

    /// <summary>Where the next raw score goes.</summary>
    public int Next { get; set; }

    /// <summary>The running sum of the history.</summary>
    public double Sum { get; set; }

    /// <summary>The running sum of the history's squares.</summary>
    public double SumOfSquares { get; set; }

    /// <summary>The scores added since the sums were last taken afresh.</summary>
    public int SinceResum { get; set; }

    // The highest score of the history, or NaN until it is looked for again (after the highest one left the ring, a
    // clear or a restore): derived from History alone, so it needs no saving.
    private double highest = double.NaN;

    /// <summary>The highest score in the history (negative infinity when it is empty).</summary>
    public double Maximum
    {
        get
        {
            if (double.IsNaN(highest))
            {
                highest = double.NegativeInfinity;
                for (var i = 0; i < Count; i++) highest = Math.Max(highest, History[i]);
            }
            return highest;
        }
    }

    /// <summary>The calibrated score of <paramref name="raw"/> against the history before it; then it joins the history.</summary>
    public double Calibrate(double raw) => Calibrate(raw, raw);

    /// <summary>
    /// The calibrated score of <paramref name="compared"/> (a short average of the raw scores, say) against the history
    /// before it; then <paramref name="raw"/> joins the history.
    /// </summary>
    public double Calibrate(double raw, double compared)
    {
        var score = 0.0;
        if (Count >= 2)
        {
            var mean = Sum / Count;
            var variance = Math.Max(0, (SumOfSquares / Count) - (mean * mean));
            var deviation = Math.Max(Math.Sqrt(variance), minimumDeviation);
            score = Math.Clamp(TailProbability.NegativeLog10UpperTail((compared - mean) / deviation) / digits, 0, 1);
        }
        if (Count == History.Length)
        {
            var old = History[Next];
            Sum -= old;
            SumOfSquares -= old * old;
            if (old >= highest) highest = double.NaN;
        }
        else
        {
            count++;
        }
        History[Next] = raw;
        if (!double.IsNaN(highest) && !(raw <= highest)) highest = raw;
        Next = (Next + 1) % History.Length;
        Sum += raw;
        SumOfSquares += raw * raw;
        if (++SinceResum >= History.Length)
        {
            SinceResum = 0;
            Sum = 0;
            SumOfSquares = 0;
            for (var i = 0; i < Count; i++)
            {
                Sum += History[i];
                SumOfSquares += History[i] * History[i];
            }
        }
        return score;
    }

    /// <summary>Forgets every score (after the model was retrained).</summary>
    public void Clear()
    {
        highest = double.NaN;
        Count = Next = SinceResum = 0;
        Sum = SumOfSquares = 0;
    }

    /// <summary>The state to save.</summary>
    public SavedCalibration Saved() => new() { History = History, Count = Count, Next = Next, Sum = Sum, SumOfSquares = SumOfSquares, SinceResum = SinceResum };

    /// <summary>Restores a saved state.</summary>
    /// <returns>False when the saved history's length differs.</returns>
    public bool Restore(SavedCalibration saved)
    {
        if (saved.History.Length != History.Length || saved.Count < 0 || saved.Count > History.Length || saved.Next < 0 || saved.Next >= History.Length) return false;
        saved.History.CopyTo(History, 0);
        highest = double.NaN;
        Count = saved.Count;
        Next = saved.Next;
        Sum = saved.Sum;
        SumOfSquares = saved.SumOfSquares;
        SinceResum = saved.SinceResum;
        return true;
    }
}

/// <summary>A <see cref="StreamCalibration"/>'s saved state.</summary>
internal sealed class SavedCalibration
{
    public double[] History { get; init; } = [];
    public int Count { get; init; }
    public int Next { get; init; }
    public double Sum { get; init; }
    public double SumOfSquares { get; init; }
    public int SinceResum { get; init; }
}
