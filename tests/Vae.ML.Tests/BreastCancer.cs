using Microsoft.ML.Data;

namespace Vae.ML.Tests;

/// <summary>A row of the shipped breast-cancer table: 30 raw features and whether the mass is malignant (the anomaly).</summary>
public sealed class CancerRow : ILabelledRow
{
    public const int FeatureCount = 30;

    [VectorType(FeatureCount)]
    public float[] Features { get; set; } = [];

    /// <summary>1 for a malignant mass (an anomaly), 0 for a benign one: the Single label ML.NET's anomaly evaluator reads.</summary>
    public float Label { get; set; }
}

/// <summary>The table split as the anomaly sample does: two thirds of the benign rows train, the rest and every malignant row test.</summary>
internal static class BreastCancer
{
    public static CancerRow[] All() => ShippedTable.Load<CancerRow>("breast_cancer.csv", CancerRow.FeatureCount, "benign", "malignant");

    public static (CancerRow[] Train, CancerRow[] Test) Split(int seed = 7) => ShippedTable.Split(All(), seed);
}
