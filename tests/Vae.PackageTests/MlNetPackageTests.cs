using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.ML;

namespace Vae.PackageTests;

/// <summary>
/// Vae.ML as an app gets it, from the packed package: the estimator trains inside an ML.NET pipeline, the pipeline is
/// saved with mlContext.Model.Save, and another process loads it with ML.NET alone and scores exactly as this one.
/// </summary>
public sealed class MlNetPackageTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-package-mlnet-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static MlNetConsumer.Row[] Rows(int count, int seed, double shift)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var level = random.NextDouble() * 4;
            return new MlNetConsumer.Row { Features = Enumerable.Range(0, MlNetConsumer.FeatureCount).Select(f => (float)(level * (f + 1) + random.NextDouble() * 0.3 + shift)).ToArray() };
        }).ToArray();
    }

    [Fact]
    public void APipelineTrainedHereScoresIdenticallyInASecondProcess()
    {
        var context = new MLContext(seed: 1);
        var train = context.Data.LoadFromEnumerable(Rows(200, 1, 0));
        var pipeline = context.Transforms.NormalizeMinMax("Features")
            .Append(context.AnomalyDetection.Trainers.Vae(new VaeAnomalyDetectionOptions { Epochs = 20, Seed = 3 }));
        var model = pipeline.Fit(train);
        var path = Path.Combine(directory, "pipeline.zip");
        context.Model.Save(model, train.Schema, path);
        var test = Rows(10, 2, 0).Concat(Rows(5, 3, 6)).ToArray();
        var scored = model.Transform(context.Data.LoadFromEnumerable(test));
        var here = scored.GetColumn<float>("Score").Zip(scored.GetColumn<bool>("PredictedLabel"),
            (score, label) => string.Create(CultureInfo.InvariantCulture, $"{score:R} {label}")).ToArray();
        var rowsFile = Path.Combine(directory, "rows.txt");
        File.WriteAllLines(rowsFile, test.Select(r => string.Join(' ', r.Features.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));

        var there = RunConsumer(path, rowsFile);

        there.Should().Equal(here);
        here.Select(line => float.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture)).Should().OnlyContain(score => float.IsFinite(score));
        var shiftedScores = here[10..].Select(line => double.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture));
        shiftedScores.Min().Should().BeGreaterThan(here[..10].Select(line => double.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture)).Max(),
            "rows shifted far from the training rows score higher");
    }

    private static string[] RunConsumer(string model, string rows)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Vae.PackageTests.dll"));
        start.ArgumentList.Add(model);
        start.ArgumentList.Add(rows);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit(TimeSpan.FromMinutes(3)).Should().BeTrue("the consumer process ends");
        process.ExitCode.Should().Be(0, error.Result);
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
