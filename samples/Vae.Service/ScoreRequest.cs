namespace Vae.Service;

/// <summary>The JSON body of /score and /encode: one array of numbers per row (a bare array of arrays works too).</summary>
/// <param name="Rows">The rows, InputSize values each (then the one-hot condition for a conditional model).</param>
public sealed record ScoreRequest(float[][] Rows);
