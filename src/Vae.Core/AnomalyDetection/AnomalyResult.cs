namespace Vae.Core;

/// <summary>The verdict of an <see cref="AnomalyDetector"/> on one sample.</summary>
/// <param name="Score">The anomaly score in nats; higher is more anomalous.</param>
/// <param name="IsAnomalous">Whether <paramref name="Score"/> exceeds the detector's threshold.</param>
public readonly record struct AnomalyResult(double Score, bool IsAnomalous);
