using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.Core;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vae.ML.Tests;

/// <summary>
/// The figures of the package README: the VAE detector against ML.NET's randomized PCA at its best rank on the
/// breast-cancer table, AUC through ML.NET's evaluator. Run with
/// <c>dotnet test tests/Vae.ML.Tests --filter ComparisonTests --logger "console;verbosity=detailed"</c> to see them.
/// </summary>
public sealed class ComparisonTests(ITestOutputHelper output)
{
    [Fact]
    public void The_vae_detector_against_randomized_pca_at_its_best_rank()
    {
        var context = new MLContext(seed: 1);
        var (train, test) = BreastCancer.Split();
        var trainData = context.Data.LoadFromEnumerable(train);
        var testData = context.Data.LoadFromEnumerable(test);

        using var vae = context.AnomalyDetection.Trainers.Vae(featureColumnName: "Features").Fit(trainData);
        var vaeAuc = context.AnomalyDetection.Evaluate(vae.Transform(testData)).AreaUnderRocCurve;

        // On standardised features, as the VAE sees them (ensureZeroMean centres them too).
        var pca = new List<(string Input, int Rank, double Auc)>();
        foreach (var standardize in new[] { true })
            for (var rank = 1; rank <= Math.Min(20, CancerRow.FeatureCount - 1); rank++)
            {
                var trainer = context.AnomalyDetection.Trainers.RandomizedPca("Features", rank: rank, seed: 1);
                var model = standardize ? (ITransformer)context.Transforms.NormalizeMeanVariance("Features").Append(trainer).Fit(trainData) : trainer.Fit(trainData);
                pca.Add((standardize ? "standardised" : "raw", rank, context.AnomalyDetection.Evaluate(model.Transform(testData)).AreaUnderRocCurve));
            }
        var best = pca.MaxBy(p => p.Auc);

        output.WriteLine($"breast cancer: {train.Length} benign rows train; {test.Count(r => r.Label == 0)} benign and {test.Count(r => r.Label == 1)} malignant test");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"VAE (defaults) AUC {vaeAuc:F4}"));
        foreach (var (input, rank, auc) in pca) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RandomizedPca {input} rank {rank,2} AUC {auc:F4}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RandomizedPca best: {best.Input} features, rank {best.Rank}, AUC {best.Auc:F4}"));

        vaeAuc.Should().BeGreaterThan(0.9);
        best.Auc.Should().BeGreaterThan(0.5);
    }

    [Fact]
    public void A_bernoulli_detector_on_features_in_0_1_scores_as_the_library_does()
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
