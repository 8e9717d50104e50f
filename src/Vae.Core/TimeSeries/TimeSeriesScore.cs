namespace Vae.Core.TimeSeries;

/// <summary>The score a <see cref="TimeSeriesDetector"/> gives one observed point.</summary>
/// <param name="Timestamp">The point's timestamp.</param>
/// <param name="RawScore">
/// The Gaussian negative log-likelihood (nats, in normalised units, summed over the observed columns) of the point
/// under the decoder's reconstruction of its window; NaN when the point is missing or belongs to the training part.
/// </param>
/// <param name="Score">
/// The calibrated score in [0, 1]: -log10 of the Gaussian tail probability of the recent raw scores' mean against the
/// longer history of raw scores, divided by <see cref="TimeSeriesDetectorOptions.TailDigits"/> and clipped (0.5 with
/// the defaults means a tail probability of 1e-50); capped just below the threshold for the
/// <see cref="TimeSeriesDetectorOptions.SuppressionPoints"/> points after an anomaly; 0 when the point is missing or
/// belongs to the training part.
/// </param>
/// <param name="IsAnomaly">True when <paramref name="Score"/> is at least the detector's threshold.</param>
/// <param name="IsMissing">True when every value of the point was NaN: it was filled and is not scored.</param>
/// <param name="IsTraining">True for a point of the training part, which the detector learnt from and does not score.</param>
public readonly record struct TimeSeriesScore(DateTime Timestamp, double RawScore, double Score, bool IsAnomaly, bool IsMissing, bool IsTraining);
