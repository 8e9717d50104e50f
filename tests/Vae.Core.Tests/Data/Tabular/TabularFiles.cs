using System.Globalization;
using System.Text;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data.Tabular;

/// <summary>Small CSV files written for a test, and generated tables with a known structure.</summary>
internal static class TabularFiles
{
    public static string Write(TempFolder directory, string name, string content)
    {
        var path = directory.File(name);
        File.WriteAllText(path, content.ReplaceLineEndings("\n"), new UTF8Encoding(false));
        return path;
    }

    /// <summary>
    /// Rows that lie near a two-dimensional plane in ten dimensions (x = W z + small noise, with unequal column scales
    /// and offsets) and, after <paramref name="normalRows"/>, outliers whose columns each have the normal rows' spread
    /// but break their correlations: only a model of the joint structure can tell them apart.
    /// </summary>
    public static string PlantedOutliers(TempFolder directory, string name, int normalRows, int outlierRows, int seed)
    {
        var random = new Random(seed);
        const int features = 10;
        var weights = new double[features, 2];
        var generator = new Random(1); // the same plane in every file
        for (var f = 0; f < features; f++)
        {
            weights[f, 0] = generator.NextDouble() * 2 - 1;
            weights[f, 1] = generator.NextDouble() * 2 - 1;
        }
        var text = new StringBuilder();
        text.Append(string.Join(',', Enumerable.Range(0, features).Select(f => $"x{f}"))).Append(",label\n");
        for (var row = 0; row < normalRows + outlierRows; row++)
        {
            var outlier = row >= normalRows;
            double z0 = Gaussian(random), z1 = Gaussian(random);
            for (var f = 0; f < features; f++)
            {
                // An outlier takes each column from an independent draw of z, so every column alone looks normal.
                if (outlier) (z0, z1) = (Gaussian(random), Gaussian(random));
                var value = weights[f, 0] * z0 + weights[f, 1] * z1 + 0.05 * Gaussian(random);
                var scaled = 100 * (f + 1) + (f + 1) * 3 * value;
                text.Append(scaled.ToString("R", CultureInfo.InvariantCulture)).Append(',');
            }
            text.Append(outlier ? "outlier" : "normal").Append('\n');
        }
        return Write(directory, name, text.ToString());
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
