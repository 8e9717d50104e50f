using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.ML.Tests;

/// <summary>
/// The second process of the save/load test: loads a model zip with nothing but ML.NET (no Vae.ML or Vae.Core type is
/// touched, no registration), scores the rows of a text file and prints one <c>score label</c> line per row, then the
/// loaded assemblies' names after <c>assemblies:</c>.
/// </summary>
public static class ModelProbe
{
    public const string Marker = "VAE_ML_PROBE";

    public static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: Vae.ML.Tests MODEL.zip ROWS.txt");
            return 2;
        }
        var context = new MLContext();
        var model = context.Model.Load(args[0], out _);
        var rows = File.ReadAllLines(args[1]).Select(line => new ProbeRow { Features = line.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray() });
        var scored = model.Transform(context.Data.LoadFromEnumerable(rows));
        var scores = scored.GetColumn<float>("Score").ToArray();
        var labels = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (var i = 0; i < scores.Length; i++) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scores[i]:R} {labels[i]}"));
        Console.WriteLine("assemblies: " + string.Join(" ", AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name)));
        return 0;
    }

    private sealed class ProbeRow
    {
        [VectorType(CancerRow.FeatureCount)]
        public float[] Features { get; set; } = [];
    }
}
