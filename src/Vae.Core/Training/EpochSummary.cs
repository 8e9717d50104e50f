namespace Vae.Core;

/// <summary>What one finished epoch achieved.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Train">Mean training loss of the epoch, nats per sample, with the beta in force at each step.</param>
/// <param name="Validation">Mean negative ELBO on the validation data after the epoch; null without validation data.</param>
/// <param name="Beta">The KL weight of the epoch's last step.</param>
/// <param name="ImagesPerSecond">Training throughput of the epoch (validation excluded).</param>
/// <param name="Duration">Wall time of the epoch's training steps.</param>
/// <param name="IsBest">Whether this epoch has the lowest validation loss so far.</param>
/// <param name="LiveTensors">TorchSharp's count of live tensors on the training thread at the end of the epoch.</param>
public sealed record EpochSummary(
    int Epoch, ElboMetrics Train, ElboMetrics? Validation, double Beta, double ImagesPerSecond, TimeSpan Duration, bool IsBest, long LiveTensors)
{
    /// <summary>The learning rate of the epoch's steps (see <see cref="VaeTrainerOptions.LearningRateSchedule"/>); 0 in histories from checkpoints that predate it.</summary>
    public double LearningRate { get; init; }
}
