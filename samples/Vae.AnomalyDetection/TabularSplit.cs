using System.Globalization;
using System.Text;
using Vae.Samples;

namespace Vae.AnomalyDetection;

/// <summary>
/// Which rows of one table train the model: a seeded 70% of the normal rows. The split is written as a CSV of row
/// indices (<c>row,set</c>), so that another program (the scikit-learn baselines) scores exactly the same rows.
/// </summary>
internal sealed class TabularSplit
{
    public const double TrainingFraction = 0.7;

    private readonly HashSet<long> training;

    private TabularSplit(HashSet<long> training, int rows)
    {
        this.training = training;
        Rows = rows;
    }

    public int Rows { get; }

    public int TrainingRows => training.Count;

    public bool IsTraining(long row) => training.Contains(row);

    /// <summary>Shuffles the indices of the normal rows with <see cref="Random"/> seeded by <paramref name="seed"/> and keeps the first 70%.</summary>
    public static TabularSplit Make(IReadOnlyList<string> labels, string normal, int seed, string source)
    {
        var normals = Enumerable.Range(0, labels.Count).Where(i => labels[i] == normal).ToArray();
        if (normals.Length < 2)
            throw new InvalidOperationException($"{source}: {normals.Length} row(s) have the normal label '{normal}'; at least 2 are needed to train and test (see --normal).");
        new Random(seed).Shuffle(normals);
        var count = (int)Math.Round(normals.Length * TrainingFraction, MidpointRounding.AwayFromZero);
        return new TabularSplit(normals.Take(count).Select(i => (long)i).ToHashSet(), labels.Count);
    }

    public void Write(string path) => Vae.Core.AtomicFile.Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        writer.WriteLine("row,set");
        for (var row = 0; row < Rows; row++) writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row},{(IsTraining(row) ? "train" : "test")}"));
    });
}
