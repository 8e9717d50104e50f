using Microsoft.Extensions.Logging;

namespace Vae.Core.Recommendation;

/// <summary>
/// What <see cref="MultVaeTrainer"/> and <see cref="RecVaeTrainer"/> have in common: training a model of
/// <typeparamref name="TModel"/> in place on <see cref="VaeTrainer"/> (checkpoints that resume bit for bit, callbacks,
/// logging, the NaN guard), validating on held-out users' NDCG@100 after every epoch and keeping the best epoch's weights.
/// </summary>
/// <typeparam name="TModel">The model trained.</typeparam>
/// <remarks>
/// A model epoch may be several trainer epochs (RecVAE's passes): the results report model epochs, with the figures of
/// the epoch's last pass and the seconds of all its passes; its users per second are the training users over those
/// seconds (each user counted once per epoch, not once per pass), as the PyTorch references count them.
/// </remarks>
public abstract class VaeRecommenderTrainer<TModel>
    where TModel : VaeRecommender
{
    private readonly ILogger? _logger;

    private protected VaeRecommenderTrainer(ILogger? logger) => _logger = logger;

    /// <summary>Trains on the training users of <paramref name="data"/>, validating on its validation users.</summary>
    /// <inheritdoc cref="Train(TModel, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/>
    public MultVaeTrainingResult Train(TModel model, ImplicitFeedbackData data, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Train(model, data.Train, ValidationOf(data), progress, cancellationToken);
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place. With validation users, the model ends with the weights of the epoch
    /// with the best validation NDCG@100; without, with those of the last epoch.
    /// </summary>
    /// <param name="model">The model; its item count must match the data's.</param>
    /// <param name="train">The training users' clicks.</param>
    /// <param name="validation">Users to choose the best epoch on (and to stop early on, with the options' <c>Patience</c>); null to keep the last epoch.</param>
    /// <param name="progress">Told after every epoch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">The item counts differ, or there are no training users.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if a path is set) is written, and the model holds the best weights so far (or those of the last step before any validation).</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was not finite; the model holds the best weights so far.</exception>
    public MultVaeTrainingResult Train(TModel model, ClickMatrix train, HeldOutUsers? validation, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default) =>
        Run(model, train, validation, checkpoint: null, progress, cancellationToken);

    /// <summary>
    /// Continues the run whose checkpoint is at <paramref name="checkpointPath"/> (written to the options'
    /// <c>CheckpointPath</c>, also by a run that was killed) and ends with the weights, bit for bit, of a run that was
    /// never interrupted. The model must be of the same architecture and catalogue.
    /// </summary>
    /// <param name="model">A model of the checkpoint's architecture and item ids (its weights are replaced by the checkpoint's).</param>
    /// <param name="data">The same data the run began on.</param>
    /// <param name="checkpointPath">The checkpoint file.</param>
    /// <param name="progress">Told after every epoch trained now.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is damaged, or is of another model or catalogue.</exception>
    /// <inheritdoc cref="Train(TModel, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/>
    public MultVaeTrainingResult Resume(TModel model, ImplicitFeedbackData data, string checkpointPath, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        return Run(model, data.Train, ValidationOf(data), checkpointPath, progress, cancellationToken);
    }

    /// <summary>
    /// The <see cref="VaeTrainer"/> that <see cref="Train(TModel, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/>
    /// runs, for callers who want its API directly: <c>Fit(train, validation)</c> with a <see cref="ClickMatrix"/> and
    /// <see cref="HeldOutUsers"/>, per-batch progress, <see cref="VaeTrainer.SaveCheckpoint"/>. Its validation figure is
    /// <c>ndcg@100</c> in <see cref="EpochSummary.ValidationMetrics"/>; its epochs are passes where a model epoch has
    /// several. Dispose it when done; the model stays the caller's.
    /// </summary>
    /// <param name="model">The model to train.</param>
    public VaeTrainer CreateTrainer(TModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new VaeTrainer(CreateTraining(model), TrainerOptions(), _logger);
    }

    /// <summary>The model as <see cref="VaeTrainer"/> trains it.</summary>
    private protected abstract ITrainableModel CreateTraining(TModel model);

    /// <summary>The options of the <see cref="VaeTrainer"/>, in trainer epochs.</summary>
    private protected abstract VaeTrainerOptions TrainerOptions();

    /// <summary>How many trainer epochs make one model epoch.</summary>
    private protected virtual int PassesPerEpoch => 1;

    private static HeldOutUsers? ValidationOf(ImplicitFeedbackData data) => data.Validation.UserCount > 0 ? data.Validation : null;

    private MultVaeTrainingResult Run(TModel model, ClickMatrix train, HeldOutUsers? validation, string? checkpoint, IProgress<MultVaeEpoch>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount != model.ItemCount)
            throw new ArgumentException($"The training data has {train.ItemCount} items but the model has {model.ItemCount}.", nameof(train));
        if (validation is not null && validation.FoldIn.ItemCount != model.ItemCount)
            throw new ArgumentException($"The validation data has {validation.FoldIn.ItemCount} items but the model has {model.ItemCount}.", nameof(validation));
        if (train.UserCount == 0)
            throw new ArgumentException("There are no training users.", nameof(train));

        using var trainer = CreateTrainer(model);
        if (checkpoint is not null) trainer.LoadCheckpoint(checkpoint);
        var validated = validation is not null;
        var passes = PassesPerEpoch;
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
        // Every pass sees every training user: a user is trained once per model epoch, whatever its passes.
        var users = result.History.Sum(summary => summary.ImagesPerSecond * summary.Duration.TotalSeconds) / passes;
        // The trainer's best epoch (the last one without validation) is a pass; the model epoch is the one it falls in.
        var bestEpoch = (result.BestEpoch + passes - 1) / passes;
        return new MultVaeTrainingResult(epochs, bestEpoch, epochs.FirstOrDefault(e => e.Epoch == bestEpoch)?.ValidationNdcg,
            result.StoppedEarly, users / Math.Max(seconds, 1e-9));
    }

    private static MultVaeEpoch Epoch(EpochSummary summary, bool validated, int passes, IReadOnlyList<EpochSummary> history)
    {
        var own = history.Where(h => h.Epoch > summary.Epoch - passes && h.Epoch <= summary.Epoch).ToArray();
        var seconds = own.Sum(h => h.Duration.TotalSeconds);
        var users = own.Sum(h => h.ImagesPerSecond * h.Duration.TotalSeconds) / passes;
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

