namespace Vae.Core.TimeSeries;

/// <summary>
/// A detector's NAB score on one series at one threshold, with NAB's row counts (rows of the probationary period
/// are not counted).
/// </summary>
/// <param name="RelativePath">The series' path relative to the data folder.</param>
/// <param name="Threshold">The threshold: a row is a detection when its anomaly score is at least this.</param>
/// <param name="Score">The raw NAB score: the best reward of each window (or its missed-window penalty) plus the weighted false positives.</param>
/// <param name="TruePositives">Detected rows inside windows.</param>
/// <param name="TrueNegatives">Undetected rows outside windows.</param>
/// <param name="FalsePositives">Detected rows outside windows.</param>
/// <param name="FalseNegatives">Undetected rows inside windows.</param>
public readonly record struct NabFileScore(
    string RelativePath,
    double Threshold,
    double Score,
    int TruePositives,
    int TrueNegatives,
    int FalsePositives,
    int FalseNegatives)
{
    /// <summary>The number of scored rows.</summary>
    /// <value>The sum of the four counts.</value>
    public int TotalCount => TruePositives + TrueNegatives + FalsePositives + FalseNegatives;
}
