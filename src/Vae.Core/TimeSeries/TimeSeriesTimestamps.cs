namespace Vae.Core.TimeSeries;

/// <summary>How a <see cref="TimeSeriesDetector"/> reads the timestamps of the points it observes.</summary>
public enum TimeSeriesTimestamps
{
    /// <summary>
    /// A regular series: its interval is the most frequent step between the training part's timestamps. A later step
    /// of k intervals (k &gt; 1) is a gap of k - 1 missing points, filled and marked as missing; a step that is not a
    /// whole number of intervals is an error naming the row.
    /// </summary>
    Regular,

    /// <summary>
    /// Points taken one after another whatever their timestamps (which must not decrease): for series sampled at
    /// irregular times, as NAB's detectors read its files.
    /// </summary>
    Sequential,
}
