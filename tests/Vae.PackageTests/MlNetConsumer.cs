using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.PackageTests;

/// <summary>
/// The second process of <see cref="MlNetPackageTests"/>, as a consumer app that only loads: it opens a saved pipeline
/// with ML.NET alone (no Vae type named, no registration), scores the rows of a text file and prints one
/// <c>score label</c> line per row.
/// </summary>
public static class MlNetConsumer
{
    public const int FeatureCount = 8;

    public static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: Vae.PackageTests MODEL.zip ROWS.txt");
            return 2;
        }
        var context = new MLContext();
        var model = context.Model.Load(args[0], out _);
        var rows = File.ReadAllLines(args[1]).Select(line => new Row { Features = line.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray() });
        var scored = model.Transform(context.Data.LoadFromEnumerable(rows));
        var scores = scored.GetColumn<float>("Score").ToArray();
        var labels = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (var i = 0; i < scores.Length; i++) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scores[i]:R} {labels[i]}"));
        return 0;
    }

    /// <summary>One row: <see cref="FeatureCount"/> floats.</summary>
    public sealed class Row
    {
        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }
}
