namespace Vae.ML.Tests;

/// <summary>A row of a shipped table as ML.NET's anomaly trainers and evaluator read it: a feature vector and a 0/1 label.</summary>
public interface ILabelledRow
{
    /// <summary>The raw features, as many as the row class's <c>VectorType</c> says.</summary>
    float[] Features { get; set; }

    /// <summary>1 for an anomaly, 0 for a normal row: the Single label ML.NET's anomaly evaluator reads.</summary>
    float Label { get; set; }
}
