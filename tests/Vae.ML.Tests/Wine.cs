using Microsoft.ML.Data;

namespace Vae.ML.Tests;

/// <summary>A row of the shipped wine table: 13 chemical measurements; cultivar class_1 (the largest) is normal, class_0 and class_2 anomalies.</summary>
public sealed class WineRow : ILabelledRow
{
    public const int FeatureCount = 13;

    [VectorType(FeatureCount)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }

    public static (WineRow[] Train, WineRow[] Test) Split() => ShippedTable.Split(ShippedTable.Load<WineRow>("wine.csv", FeatureCount, "class_1", "class_0", "class_2"));
}
