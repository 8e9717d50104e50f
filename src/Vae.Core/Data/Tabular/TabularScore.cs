namespace Vae.Core.Data;

/// <summary>The anomaly score of one row of a CSV file.</summary>
/// <param name="RowIndex">The row's position among the file's data rows, from 0.</param>
/// <param name="Line">The 1-based line the row starts on.</param>
/// <param name="Label">The row's value in the model's label column, when the file has it; otherwise null.</param>
/// <param name="Score">The negative ELBO at the posterior mean, in nats: higher is more anomalous.</param>
/// <param name="IsAnomalous">Whether the score exceeds the model's threshold.</param>
public readonly record struct TabularScore(long RowIndex, long Line, string? Label, double Score, bool IsAnomalous);
