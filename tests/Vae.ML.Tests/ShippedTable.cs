using System.Globalization;

namespace Vae.ML.Tests;

/// <summary>
/// Loads a table of samples/data (copied into the test output's data folder): numeric features, then a class name in the
/// last column; one class is normal (label 0), the named others anomalies (label 1).
/// </summary>
internal static class ShippedTable
{
    public static TRow[] Load<TRow>(string file, int width, string normal, params string[] anomalies) where TRow : ILabelledRow, new()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "data", file);
        var lines = File.ReadAllLines(path);
        var rows = new List<TRow>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var fields = lines[i].Split(',');
            if (fields.Length != width + 1) throw new InvalidDataException($"{path} line {i + 1}: {fields.Length} columns, expected {width} features and a label");
            var features = new float[width];
            for (var c = 0; c < width; c++)
                if (!float.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out features[c]))
                    throw new InvalidDataException($"{path} line {i + 1} column {c + 1}: '{fields[c]}' is not a number");
            var label = fields[width] == normal ? 0f
                : anomalies.Contains(fields[width]) ? 1f
                : throw new InvalidDataException($"{path} line {i + 1} column {width + 1}: label '{fields[width]}' is neither '{normal}' nor one of '{string.Join("', '", anomalies)}'");
            rows.Add(new TRow { Features = features, Label = label });
        }
        return [.. rows];
    }

    /// <summary>Two thirds of the normal rows (shuffled with <paramref name="seed"/>) train; the rest and every anomaly test.</summary>
    public static (TRow[] Train, TRow[] Test) Split<TRow>(TRow[] all, int seed = 7) where TRow : ILabelledRow
    {
        var normal = all.Where(r => r.Label == 0).ToArray();
        new Random(seed).Shuffle(normal);
        var cut = normal.Length * 2 / 3;
        return (normal[..cut], [.. normal[cut..], .. all.Where(r => r.Label == 1)]);
    }
}
