using Microsoft.ML.Data;

namespace Vae.ML.Tests;

/// <summary>A row of the shipped digits table: 64 pixel counts of an 8x8 image; the digit 0 is normal, every other digit an anomaly.</summary>
public sealed class DigitsRow : ILabelledRow
{
    public const int FeatureCount = 64;

    [VectorType(FeatureCount)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }

    public static (DigitsRow[] Train, DigitsRow[] Test) Split() => ShippedTable.Split(ShippedTable.Load<DigitsRow>("digits.csv", FeatureCount, "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
}
