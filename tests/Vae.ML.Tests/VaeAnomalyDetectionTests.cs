using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.Core;
using Vae.Samples.Tests;
using static TorchSharp.torch;

namespace Vae.ML.Tests;

public sealed class VaeAnomalyDetectionTests : IClassFixture<VaeAnomalyDetectionTests.Trained>
{
    private readonly Trained trained;

    public VaeAnomalyDetectionTests(Trained trained) => this.trained = trained;

    /// <summary>One detector trained with every setting at its default, shared by the tests.</summary>
    public sealed class Trained : IDisposable
    {
        public Trained()
        {
            (Train, Test) = BreastCancer.Split();
            Model = Context.AnomalyDetection.Trainers.Vae(featureColumnName: "Features").Fit(Context.Data.LoadFromEnumerable(Train));
        }

        public MLContext Context { get; } = new(seed: 1);

        public CancerRow[] Train { get; }

        public CancerRow[] Test { get; }

        public VaeAnomalyDetectionTransformer Model { get; }

        public void Dispose() => Model.Dispose();
    }

    [Fact]
    public void TheOutputHasTheColumnsTheAnomalyEvaluatorReads()
    {
        var schema = trained.Model.GetOutputSchema(trained.Context.Data.LoadFromEnumerable(trained.Test).Schema);
        schema["Score"].Type.Should().Be(NumberDataViewType.Single);
        schema["PredictedLabel"].Type.Should().Be(BooleanDataViewType.Instance);
    }

    [Fact]
    public void MalignantMassesScoreHigherThanBenignOnesThroughTheEvaluator()
    {
        var predictions = trained.Model.Transform(trained.Context.Data.LoadFromEnumerable(trained.Test));
        var metrics = trained.Context.AnomalyDetection.Evaluate(predictions);
        metrics.AreaUnderRocCurve.Should().BeGreaterThan(0.9);
    }

    [Fact]
    public void TheThresholdIsThe99thPercentileOfTheTrainingScores()
    {
        var predictions = trained.Model.Transform(trained.Context.Data.LoadFromEnumerable(trained.Train));
        var flagged = predictions.GetColumn<bool>("PredictedLabel").Count(x => x);
        var scores = predictions.GetColumn<float>("Score").ToArray();
        flagged.Should().BeInRange(1, (int)Math.Ceiling(0.01 * trained.Train.Length) + 1);
        scores.Count(s => s > trained.Model.Threshold).Should().Be(flagged);
    }

    [Fact]
    public void ThePredictionEngineScoresAsTheLibraryDoes()
    {
        var engine = trained.Context.Model.CreatePredictionEngine<CancerRow, Prediction>(trained.Model);
        var rows = trained.Test.Take(40).ToArray();
        var values = rows.SelectMany(r => r.Features).ToArray();
        VaeFitting.Standardize(values, CancerRow.FeatureCount, trained.Model.FeatureShift!.ToArray(), trained.Model.FeatureScale!.ToArray());
        using var features = tensor(values, [rows.Length, CancerRow.FeatureCount]);
        var library = new AnomalyDetector(trained.Model.Model, trained.Model.Threshold).Score(features);
        for (var i = 0; i < rows.Length; i++)
        {
            var prediction = engine.Predict(rows[i]);
            ((double)prediction.Score).Should().BeApproximately(library[i], 1e-5 * Math.Max(1, Math.Abs(library[i])), $"row {i}");
            prediction.PredictedLabel.Should().Be(library[i] > trained.Model.Threshold, $"row {i}");
        }
    }

    [Fact]
    public void ASavedModelLoadsInAnotherProcessWithoutVaeMlAndScoresTheSame()
    {
        using var folder = new TempFolder();
        var data = trained.Context.Data.LoadFromEnumerable(trained.Test);
        trained.Context.Model.Save(trained.Model, data.Schema, folder.File("model.zip"));
        File.WriteAllLines(folder.File("rows.txt"), trained.Test.Select(r => string.Join(" ", r.Features.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
        var predictions = trained.Model.Transform(data);
        var expected = predictions.GetColumn<float>("Score").Zip(predictions.GetColumn<bool>("PredictedLabel"),
            (s, l) => string.Create(CultureInfo.InvariantCulture, $"{s:R} {l}")).ToArray();

        var output = RunProbe(folder.File("model.zip"), folder.File("rows.txt"));

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[..^1].Should().Equal(expected);
        expected.Select(l => l.EndsWith("True", StringComparison.Ordinal)).Should().Contain(true, "some test rows are flagged");
        var assemblies = lines[^1].Split(' ').Skip(1).ToArray();
        assemblies.Should().Contain("Microsoft.ML.OnnxTransformer").And.NotContain("Vae.ML").And.NotContain("Vae.Core").And.NotContain("TorchSharp");
    }

    [Fact]
    public void AModelLoadedInThisProcessScoresTheSame()
    {
        using var folder = new TempFolder();
        var data = trained.Context.Data.LoadFromEnumerable(trained.Test);
        trained.Context.Model.Save(trained.Model, data.Schema, folder.File("model.zip"));
        var loaded = new MLContext().Model.Load(folder.File("model.zip"), out _);
        loaded.Transform(data).GetColumn<float>("Score").Should().Equal(trained.Model.Transform(data).GetColumn<float>("Score"));
    }

    [Fact]
    public void InAPipelineAfterANormalizerItSavesAndLoadsAsOneModel()
    {
        using var folder = new TempFolder();
        var data = trained.Context.Data.LoadFromEnumerable(trained.Train);
        var pipeline = trained.Context.Transforms.NormalizeMinMax("Features")
            .Append(trained.Context.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionOptions { Likelihood = VaeLikelihood.Bernoulli, Epochs = 2 }));
        var model = pipeline.Fit(data);
        using var detector = model.LastTransformer;
        trained.Context.Model.Save(model, data.Schema, folder.File("pipeline.zip"));
        var loaded = new MLContext().Model.Load(folder.File("pipeline.zip"), out _);
        loaded.Transform(data).GetColumn<float>("Score").Should().Equal(model.Transform(data).GetColumn<float>("Score"));
    }

    [Fact]
    public void TheSameSeedGivesTheSameScoresAndAnotherSeedOtherScores()
    {
        var data = trained.Context.Data.LoadFromEnumerable(trained.Train);
        var options = new VaeAnomalyDetectionOptions { Epochs = 5 };
        using var first = trained.Context.AnomalyDetection.Trainers.Vae(options).Fit(data);
        using var again = trained.Context.AnomalyDetection.Trainers.Vae(options).Fit(data);
        using var other = trained.Context.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionOptions { Epochs = 5, Seed = 2 }).Fit(data);
        float[] Scores(ITransformer model) => model.Transform(data).GetColumn<float>("Score").ToArray();
        Scores(again).Should().Equal(Scores(first));
        Scores(other).Should().NotEqual(Scores(first));
    }

    [Fact]
    public void SettingsOutOfRangeAreRefused()
    {
        var catalog = trained.Context.AnomalyDetection.Trainers;
        FluentActions.Invoking(() => catalog.Vae(new VaeAnomalyDetectionOptions { ThresholdPercentile = 101 })).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => catalog.Vae(new VaeAnomalyDetectionOptions { ScoreKind = AnomalyScoreKind.NegativeImportanceWeighted })).Should().Throw<NotSupportedException>();
        FluentActions.Invoking(() => catalog.Vae(new VaeAnomalyDetectionOptions { Likelihood = VaeLikelihood.Bernoulli, Standardize = true })).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => catalog.Vae("Missing").Fit(trained.Context.Data.LoadFromEnumerable(trained.Train))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Missing*");
    }

    internal static string RunProbe(string model, string rows)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Vae.ML.Tests.dll"));
        start.ArgumentList.Add(model);
        start.ArgumentList.Add(rows);
        start.Environment[ModelProbe.Marker] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, error.Result);
        return output;
    }

    private sealed class Prediction
    {
        public float Score { get; set; }

        public bool PredictedLabel { get; set; }
    }
}
