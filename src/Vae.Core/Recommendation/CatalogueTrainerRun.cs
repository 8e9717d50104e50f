namespace Vae.Core.Recommendation;

/// <summary>
/// What <see cref="MultVaeTrainer"/> and <see cref="RecVaeTrainer"/> share: the data checks, one run of a
/// <see cref="VaeTrainer"/> (fresh or resumed from a checkpoint), the best weights restored when it is cancelled or
/// diverges, and the trainer's epochs turned into the model's (a given number of trainer epochs, the passes, make one model
/// epoch: its figures those of its last pass, its seconds and rate those of all its passes).
/// </summary>
internal static class CatalogueTrainerRun
{
    /// <summary>The validation users of <paramref name="data"/>, or null when it has none.</summary>
    public static HeldOutUsers? ValidationOf(ImplicitFeedbackData data) => data.Validation.UserCount > 0 ? data.Validation : null;

    /// <summary>Trains with the trainer <paramref name="createTrainer"/> makes, after checking the data against <paramref name="model"/>.</summary>
    public static MultVaeTrainingResult Run(IRecommender model, Func<VaeTrainer> createTrainer, int passes, ClickMatrix train, HeldOutUsers? validation,
        string? checkpoint, IProgress<MultVaeEpoch>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount != model.ItemCount)
            throw new ArgumentException($"The training data has {train.ItemCount} items but the model has {model.ItemCount}.", nameof(train));
        if (validation is not null && validation.FoldIn.ItemCount != model.ItemCount)
            throw new ArgumentException($"The validation data has {validation.FoldIn.ItemCount} items but the model has {model.ItemCount}.", nameof(validation));
        if (train.UserCount == 0)
            throw new ArgumentException("There are no training users.", nameof(train));

        using var trainer = createTrainer();
        if (checkpoint is not null) trainer.LoadCheckpoint(checkpoint);
        var validated = validation is not null;
        var epochProgress = progress is null ? null : new EpochProgress(progress, validated, passes);
        TrainingResult result;
        try
        {
            result = trainer.Fit(train, validation, epochProgress, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or TrainingDivergedException)
        {
            trainer.RestoreBestWeights();
            throw;
        }
        var epochs = result.History.Where(summary => summary.Epoch % passes == 0)
            .Select(summary => Epoch(summary, validated, passes, result.History)).ToArray();
        var seconds = result.History.Sum(summary => summary.Duration.TotalSeconds);
        var users = result.History.Sum(summary => summary.ImagesPerSecond * summary.Duration.TotalSeconds);
        // The trainer's best epoch (the last one without validation) is a pass; the model epoch is the one it falls in.
        var bestEpoch = (result.BestEpoch + passes - 1) / passes;
        return new MultVaeTrainingResult(epochs, bestEpoch, epochs.FirstOrDefault(e => e.Epoch == bestEpoch)?.ValidationNdcg,
            result.StoppedEarly, users / Math.Max(seconds, 1e-9));
    }

    private static MultVaeEpoch Epoch(EpochSummary summary, bool validated, int passes, IReadOnlyList<EpochSummary> history)
    {
        var own = history.Where(h => h.Epoch > summary.Epoch - passes && h.Epoch <= summary.Epoch).ToArray();
        var seconds = own.Sum(h => h.Duration.TotalSeconds);
        var users = own.Sum(h => h.ImagesPerSecond * h.Duration.TotalSeconds);
        return new MultVaeEpoch(summary.Epoch / passes, summary.Train.Loss, summary.Train.Reconstruction, summary.Train.Kl, summary.Beta,
            summary.ValidationMetrics?.GetValueOrDefault(MultVaeTraining.ValidationMetric), !validated || summary.IsBest,
            seconds, users / Math.Max(seconds, 1e-9));
    }

    // The trainer reports every batch; the callers are told once per model epoch.
    private sealed class EpochProgress(IProgress<MultVaeEpoch> inner, bool validated, int passes) : IProgress<TrainingProgress>
    {
        private readonly List<EpochSummary> _seen = [];

        public void Report(TrainingProgress value)
        {
            if (value.CompletedEpoch is not { } summary) return;
            _seen.Add(summary);
            if (summary.Epoch % passes == 0) inner.Report(Epoch(summary, validated, passes, _seen));
        }
    }
}

/// <summary>The training modes of a model without modules: nothing to enter or leave (dropout is the step's own).</summary>
internal sealed class NoTrainingModes : IDisposable
{
    public static readonly NoTrainingModes Instance = new();

    public void Dispose()
    {
    }
}
