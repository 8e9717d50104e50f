using Microsoft.Extensions.Logging;

namespace Vae.Core.Recommendation;

/// <summary>
/// Trains a <see cref="MultVae"/> as the reference code does (users shuffled every epoch, batches of 500, dropout on
/// the normalised input, a sampled z, the KL weight annealed per step, Adam, NDCG@100 on the validation users after
/// every epoch and the weights of the best epoch at the end), on <see cref="VaeTrainer"/>: so it also writes
/// checkpoints that resume bit for bit (<see cref="MultVaeTrainerOptions.CheckpointPath"/>, <see cref="Resume"/>),
/// runs callbacks (TensorBoard among them), logs, and guards against NaN as every model the library trains does.
/// </summary>
public sealed class MultVaeTrainer
{
    private readonly ILogger? logger;

    /// <summary>Creates a trainer.</summary>
    /// <param name="options">How to train; the reference's settings by default.</param>
    /// <param name="logger">Receives a line per epoch and per checkpoint; nothing is logged when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public MultVaeTrainer(MultVaeTrainerOptions? options = null, ILogger? logger = null)
    {
        Options = options ?? new MultVaeTrainerOptions();
        Options.Validate();
        this.logger = logger;
    }

    /// <summary>The options.</summary>
    public MultVaeTrainerOptions Options { get; }

    /// <summary>Trains on the training users of <paramref name="data"/>, validating on its validation users.</summary>
    /// <inheritdoc cref="Train(MultVae, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/>
    public MultVaeTrainingResult Train(MultVae model, ImplicitFeedbackData data, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Train(model, data.Train, CatalogueTrainerRun.ValidationOf(data), progress, cancellationToken);
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place. With validation users, the model ends with the weights of the epoch
    /// with the best validation NDCG@100; without, with those of the last epoch.
    /// </summary>
    /// <param name="model">The model; its item count must match the data's.</param>
    /// <param name="train">The training users' clicks.</param>
    /// <param name="validation">Users to choose the best epoch on (and to stop early on, with <see cref="MultVaeTrainerOptions.Patience"/>); null to keep the last epoch.</param>
    /// <param name="progress">Told after every epoch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">The item counts differ, or there are no training users.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if a path is set) is written, and the model holds the best weights so far (or those of the last step before any validation).</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was not finite; the model holds the best weights so far.</exception>
    public MultVaeTrainingResult Train(MultVae model, ClickMatrix train, HeldOutUsers? validation, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default) =>
        Run(model, train, validation, checkpoint: null, progress, cancellationToken);

    /// <summary>
    /// Continues the run whose checkpoint is at <paramref name="checkpointPath"/> (written with
    /// <see cref="MultVaeTrainerOptions.CheckpointPath"/>, also by a run that was killed) and ends with the weights, bit
    /// for bit, of a run that was never interrupted. The model must be of the same architecture and catalogue.
    /// </summary>
    /// <param name="model">A model of the checkpoint's architecture and item ids (its weights are replaced by the checkpoint's).</param>
    /// <param name="data">The same data the run began on.</param>
    /// <param name="checkpointPath">The checkpoint file.</param>
    /// <param name="progress">Told after every epoch trained now.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is damaged, or is of another model or catalogue.</exception>
    /// <inheritdoc cref="Train(MultVae, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/>
    public MultVaeTrainingResult Resume(MultVae model, ImplicitFeedbackData data, string checkpointPath, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        return Run(model, data.Train, CatalogueTrainerRun.ValidationOf(data), checkpointPath, progress, cancellationToken);
    }

    /// <summary>
    /// The <see cref="VaeTrainer"/> that <see cref="Train(MultVae, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/>
    /// runs, for callers who want its API directly: <c>Fit(train, validation)</c> with a <see cref="ClickMatrix"/> and
    /// <see cref="HeldOutUsers"/>, per-batch progress, <see cref="VaeTrainer.SaveCheckpoint"/>. Its validation figure is
    /// <c>ndcg@100</c> in <see cref="EpochSummary.ValidationMetrics"/>. Dispose it when done; the model stays the caller's.
    /// </summary>
    /// <param name="model">The model to train.</param>
    public VaeTrainer CreateTrainer(MultVae model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new VaeTrainer(new MultVaeTraining(model, Options.L2Regularization, Options.EvaluationBatchSize), Options.ToTrainerOptions(), logger);
    }

    private MultVaeTrainingResult Run(MultVae model, ClickMatrix train, HeldOutUsers? validation, string? checkpoint, IProgress<MultVaeEpoch>? progress, CancellationToken cancellationToken) =>
        CatalogueTrainerRun.Run(model, () => CreateTrainer(model), 1, train, validation, checkpoint, progress, cancellationToken);
}
