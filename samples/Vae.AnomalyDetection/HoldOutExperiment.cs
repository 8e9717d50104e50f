using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using static TorchSharp.torch;

namespace Vae.AnomalyDetection;

/// <summary>
/// One held-out digit: train the default VAE on every other training digit, score the whole test set, and see how
/// well the score singles out the digit the model never saw.
/// </summary>
internal static class HoldOutExperiment
{
    public static HoldOutResult Run(
        AnomalySettings settings, MnistDataset train, MnistDataset test, int digit,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var normalTrain = train.WithoutDigit(digit);
        // Every digit starts from the same weights, so the ten runs differ only in their data.
        torch.manual_seed(settings.Seed);
        using var model = new VariationalAutoencoder(settings.ModelOptions);
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = settings.Epochs, Seed = settings.Seed, CpuThreads = settings.Threads }))
            trainer.Fit(normalTrain.Images, null, progress, cancellationToken);

        using var scope = NewDisposeScope();
        var labels = test.Labels.data<long>().ToArray();
        var isAnomaly = labels.Select(label => label == digit).ToArray();
        var anomalies = Indices(isAnomaly, true);
        var normal = Indices(isAnomaly, false);
        // The threshold is fitted on half of the normal test digits and judged on the other half: judged on the
        // digits it was fitted on, the false-positive rate would be 1 - percentile by construction. Training digits
        // would score optimistically, and keeping some back would change what the model is trained on.
        var validation = normal.Where((_, i) => i % 2 == 0).ToArray();
        var check = normal.Where((_, i) => i % 2 == 1).ToArray();
        Tensor Rows(int[] rows) => test.Images.index_select(0, tensor(rows.Select(i => (long)i).ToArray()));

        using var generator = new Generator((ulong)settings.Seed);
        var detector = AnomalyDetector.Fit(model, Rows(validation), settings.Percentile, settings.ScoreKind, settings.ImportanceSamples, generator);
        var scores = detector.Score(test.Images, generator);
        var auroc = AnomalyMetrics.RocAuc(scores, isAnomaly);
        double Flagged(int[] rows) => rows.Length == 0 ? double.NaN : rows.Count(i => scores[i] > detector.Threshold) / (double)rows.Length;

        var picture = Path.Combine(settings.Output, $"holdout-{digit}.png");
        ExtremesPicture.Write(picture, test.Images, scores, labels, digit, ScoreName(settings), auroc);
        return new HoldOutResult(
            digit,
            auroc,
            model.Evaluate(Rows(normal), seed: settings.Seed).Loss,
            model.Evaluate(Rows(anomalies), seed: settings.Seed).Loss,
            detector.Threshold,
            Flagged(anomalies),
            Flagged(check),
            anomalies.Length,
            validation.Length,
            check.Length,
            clock.Elapsed.TotalSeconds,
            picture);
    }

    public static string ScoreName(AnomalySettings settings) => settings.ScoreKind == AnomalyScoreKind.NegativeElboAtMean
        ? "negative ELBO at the posterior mean"
        : $"negative IWAE log-likelihood (k = {settings.ImportanceSamples})";

    private static int[] Indices(bool[] flags, bool value) =>
        Enumerable.Range(0, flags.Length).Where(i => flags[i] == value).ToArray();
}
