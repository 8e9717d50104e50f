namespace Vae.Core.TimeSeries;

/// <summary>
/// One NAB result file: a detector's anomaly score for every row of one series, with the row's timestamp and value
/// and, optionally, NAB's 0/1 label.
/// </summary>
public sealed class NabResultSeries
{
    /// <summary>Creates a result series.</summary>
    /// <param name="timestamps">The rows' timestamps.</param>
    /// <param name="values">The rows' values; one per timestamp.</param>
    /// <param name="anomalyScores">The detector's anomaly scores in [0, 1]; one per timestamp.</param>
    /// <param name="labels">NAB's <c>label</c> column (1 inside an anomaly window, else 0), or null to leave it out.</param>
    public NabResultSeries(IReadOnlyList<DateTime> timestamps, IReadOnlyList<double> values, IReadOnlyList<double> anomalyScores,
        IReadOnlyList<int>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(anomalyScores);
        if (values.Count != timestamps.Count || anomalyScores.Count != timestamps.Count || (labels is not null && labels.Count != timestamps.Count))
        {
            throw new ArgumentException("The timestamps, values, anomaly scores and labels must have one entry per row.");
        }

        Timestamps = timestamps.ToArray();
        Values = values.ToArray();
        AnomalyScores = anomalyScores.ToArray();
        Labels = labels?.ToArray();
    }

    /// <summary>The rows' timestamps.</summary>
    /// <value>In file order.</value>
    public IReadOnlyList<DateTime> Timestamps { get; }

    /// <summary>The rows' values.</summary>
    /// <value>One per row.</value>
    public IReadOnlyList<double> Values { get; }

    /// <summary>The detector's anomaly scores.</summary>
    /// <value>One per row.</value>
    public IReadOnlyList<double> AnomalyScores { get; }

    /// <summary>NAB's label column.</summary>
    /// <value>One 0/1 entry per row, or null when the file has no <c>label</c> column.</value>
    public IReadOnlyList<int>? Labels { get; }

    /// <summary>The number of rows.</summary>
    /// <value>The length of <see cref="Timestamps"/>.</value>
    public int Count => Timestamps.Count;
}
