namespace Vae.Core.TimeSeries;

/// <summary>One NAB data file: its rows' timestamps and values, and its labelled anomaly windows.</summary>
public sealed class NabSeries
{
    /// <summary>Creates a series.</summary>
    /// <param name="relativePath">The file's path relative to the data folder, with <c>/</c> separators (e.g. <c>realTweets/Twitter_volume_AAPL.csv</c>).</param>
    /// <param name="timestamps">The rows' timestamps, in time order.</param>
    /// <param name="values">The rows' values; as many as <paramref name="timestamps"/>.</param>
    /// <param name="windows">The anomaly windows, in time order; each start and end must be one of <paramref name="timestamps"/>.</param>
    public NabSeries(string relativePath, IReadOnlyList<DateTime> timestamps, IReadOnlyList<double> values, IReadOnlyList<NabWindow> windows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(windows);
        if (values.Count != timestamps.Count)
        {
            throw new ArgumentException($"{relativePath}: {values.Count} values for {timestamps.Count} timestamps.", nameof(values));
        }

        var rows = new HashSet<DateTime>(timestamps);
        foreach (var window in windows)
        {
            if (!rows.Contains(window.Start) || !rows.Contains(window.End))
            {
                throw new ArgumentException(
                    $"{relativePath}: the window {window.Start:yyyy-MM-dd HH:mm:ss} to {window.End:yyyy-MM-dd HH:mm:ss} does not start and end on timestamps of the series.",
                    nameof(windows));
            }

            if (window.End < window.Start)
            {
                throw new ArgumentException($"{relativePath}: a window ends before it starts.", nameof(windows));
            }
        }

        RelativePath = relativePath;
        Timestamps = timestamps.ToArray();
        Values = values.ToArray();
        Windows = windows.ToArray();
    }

    /// <summary>The file's path relative to the data folder.</summary>
    /// <value>With <c>/</c> separators, as in NAB's label files.</value>
    public string RelativePath { get; }

    /// <summary>The rows' timestamps.</summary>
    /// <value>In file order.</value>
    public IReadOnlyList<DateTime> Timestamps { get; }

    /// <summary>The rows' values.</summary>
    /// <value>One per row.</value>
    public IReadOnlyList<double> Values { get; }

    /// <summary>The labelled anomaly windows.</summary>
    /// <value>In time order; empty for a series without anomalies.</value>
    public IReadOnlyList<NabWindow> Windows { get; }

    /// <summary>The number of rows.</summary>
    /// <value>The length of <see cref="Timestamps"/>.</value>
    public int Count => Timestamps.Count;

    /// <summary>The number of leading rows in NAB's probationary period, which are not scored.</summary>
    /// <value>min(floor(0.15 * <see cref="Count"/>), 750), as NAB's sweeper computes it.</value>
    public int ProbationaryLength => NabScorer.GetProbationaryLength(Count);
}
