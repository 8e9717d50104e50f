namespace Vae.Core;

/// <summary>What one finished epoch achieved.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Train">Mean training loss of the epoch, nats per sample, with the beta in force at each step.</param>
/// <param name="Validation">Mean negative ELBO on the validation data after the epoch; null without validation data.</param>
/// <param name="Beta">The KL weight of the epoch's last step.</param>
/// <param name="ImagesPerSecond">Training throughput of the epoch (validation excluded).</param>
/// <param name="Duration">Wall time of the epoch's training steps.</param>
/// <param name="IsBest">Whether this epoch has the best validation figure so far (<see cref="ValidationObjective"/>).</param>
/// <param name="LiveTensors">TorchSharp's count of live tensors on the training thread at the end of the epoch.</param>
public sealed record EpochSummary(
    int Epoch, ElboMetrics Train, ElboMetrics? Validation, double Beta, double ImagesPerSecond, TimeSpan Duration, bool IsBest, long LiveTensors)
{
    /// <summary>The learning rate of the epoch's steps (see <see cref="VaeTrainerOptions.LearningRateSchedule"/>); 0 in histories from checkpoints that predate it.</summary>
    public double LearningRate { get; init; }

    /// <summary>
    /// The validation figure that early stopping and the best weights follow (lower is better): the validation loss
    /// for a VAE, minus a ranking metric for a recommender; null without validation data.
    /// </summary>
    public double? ValidationObjective { get; init; }

    /// <summary>Other validation figures by name (e.g. <c>ndcg@100</c>); null when there are none.</summary>
    public IReadOnlyDictionary<string, double>? ValidationMetrics { get; init; }

    /// <summary>The objective of this epoch's validation, also in histories from checkpoints that predate <see cref="ValidationObjective"/>.</summary>
    internal double? ObjectiveOrLoss => ValidationObjective ?? Validation?.Loss;
}
