using System.Globalization;
using Microsoft.ML.Data;

namespace Vae.ML.Tests;

/// <summary>A row of the shipped breast-cancer table: 30 raw features and whether the mass is malignant (the anomaly).</summary>
public sealed class CancerRow
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
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv");

    public static CancerRow[] All()
    {
        var lines = File.ReadAllLines(Path);
        return lines.Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var fields = line.Split(',');
            return new CancerRow
            {
                Features = fields.Take(CancerRow.FeatureCount).Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray(),
                Label = fields[CancerRow.FeatureCount] switch
                {
                    "malignant" => 1f,
                    "benign" => 0f,
                    var other => throw new InvalidDataException($"label '{other}'"),
                },
            };
        }).ToArray();
    }

    public static (CancerRow[] Train, CancerRow[] Test) Split(int seed = 7)
    {
        var all = All();
        var benign = all.Where(r => r.Label == 0).OrderBy(_ => 0).ToArray();
        new Random(seed).Shuffle(benign);
        var cut = benign.Length * 2 / 3;
        return (benign[..cut], benign[cut..].Concat(all.Where(r => r.Label == 1)).ToArray());
    }
}
