using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.Core;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vae.ML.Tests;

/// <summary>
/// The figures of the package README: the VAE detector against ML.NET's randomized PCA at its best rank on the
/// shipped breast-cancer, wine and digits tables, AUC through ML.NET's evaluator. Run with
/// <c>dotnet test tests/Vae.ML.Tests --filter ComparisonTests --logger "console;verbosity=detailed"</c> to see them.
/// </summary>
public sealed class ComparisonTests(ITestOutputHelper output)
{
    [Fact]
    public void TheVaeDetectorAgainstRandomizedPcaAtItsBestRank()
    {
        var (vaeAuc, best) = Compare("breast cancer (benign normal)", BreastCancer.Split(), CancerRow.FeatureCount);
        vaeAuc.Should().BeGreaterThan(0.9);
        best.Auc.Should().BeGreaterThan(0.5);
    }

    [Fact]
    public void OnTheWineTableWithClass1Normal()
    {
        var (vaeAuc, best) = Compare("wine (class_1 normal)", WineRow.Split(), WineRow.FeatureCount);
        vaeAuc.Should().BeGreaterThan(0.9);
        best.Auc.Should().BeGreaterThan(0.5);
    }

    [Fact]
    public void OnTheDigitsTableWith0Normal()
    {
        var (vaeAuc, best) = Compare("digits (0 normal)", DigitsRow.Split(), DigitsRow.FeatureCount);
        vaeAuc.Should().BeGreaterThan(0.9);
        best.Auc.Should().BeGreaterThan(0.5);
    }

    /// <summary>Trains both detectors on the normal training rows, prints the VAE's AUC and the PCA's at every rank of 1 to 20.</summary>
    private (double VaeAuc, (int Rank, double Auc) Best) Compare<TRow>(string table, (TRow[] Train, TRow[] Test) split, int width) where TRow : class, ILabelledRow
    {
        var (train, test) = split;
        var context = new MLContext(seed: 1);
        var trainData = context.Data.LoadFromEnumerable(train);
        var testData = context.Data.LoadFromEnumerable(test);

        using var vae = context.AnomalyDetection.Trainers.Vae(featureColumnName: "Features").Fit(trainData);
        var vaeAuc = context.AnomalyDetection.Evaluate(vae.Transform(testData)).AreaUnderRocCurve;

        // On standardised features, as the VAE sees them (ensureZeroMean centres them too).
        var pca = new List<(int Rank, double Auc)>();
        for (var rank = 1; rank <= Math.Min(20, width - 1); rank++)
        {
            var trainer = context.AnomalyDetection.Trainers.RandomizedPca("Features", rank: rank, seed: 1);
            var model = context.Transforms.NormalizeMeanVariance("Features").Append(trainer).Fit(trainData);
            pca.Add((rank, context.AnomalyDetection.Evaluate(model.Transform(testData)).AreaUnderRocCurve));
        }
        var best = pca.MaxBy(p => p.Auc);

        output.WriteLine($"{table}: {train.Length} normal rows train; {test.Count(r => r.Label == 0)} normal and {test.Count(r => r.Label == 1)} anomalous test");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"VAE (defaults) AUC {vaeAuc:F4}"));
        foreach (var (rank, auc) in pca) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RandomizedPca standardised rank {rank,2} AUC {auc:F4}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RandomizedPca best: standardised features, rank {best.Rank}, AUC {best.Auc:F4}"));
        return (vaeAuc, best);
    }

    [Fact]
    public void ABernoulliDetectorOnFeaturesIn01ScoresAsTheLibraryDoes()
    {
        var context = new MLContext(seed: 1);
        var (train, _) = BreastCancer.Split();
        var data = context.Data.LoadFromEnumerable(train);
        var scaled = context.Transforms.NormalizeMinMax("Features").Fit(data).Transform(data);
        using var detector = context.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionOptions { Likelihood = VaeLikelihood.Bernoulli, Epochs = 10 }).Fit(scaled);
        detector.FeatureShift.Should().BeNull("a Bernoulli model takes its features as they are");

        var scores = detector.Transform(scaled).GetColumn<float>("Score").ToArray();
        var rows = scaled.GetColumn<float[]>("Features").ToArray();
        using var features = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, CancerRow.FeatureCount]);
        var library = new AnomalyDetector(detector.Model, detector.Threshold).Score(features);
        scores.Zip(library).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5 * Math.Max(1, Math.Abs(p.Second)));
    }
}
