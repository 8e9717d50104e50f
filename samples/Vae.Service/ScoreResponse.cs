namespace Vae.Service;

/// <summary>The answer of /score.</summary>
/// <param name="Scores">The anomaly score of each row, in nats (the detector's score kind; higher is more anomalous).</param>
/// <param name="Flags">Whether each score is above the threshold.</param>
/// <param name="Threshold">The threshold; null when it is infinite (a model file without a detector).</param>
/// <param name="ModelVersion">Which load of the file scored (1 at start-up, one more per reload).</param>
public sealed record ScoreResponse(double[] Scores, bool[] Flags, double? Threshold, long ModelVersion);
