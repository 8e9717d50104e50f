namespace Vae.Core;

/// <summary>A report from <see cref="VaeTrainer"/>: after every batch, and once more at the end of each epoch.</summary>
/// <param name="Epoch">The current epoch, counted from 1.</param>
/// <param name="Epochs">The number of epochs the run aims for.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="BatchesPerEpoch">Batches in this epoch (0 when the batch source's sequence has no count).</param>
/// <param name="Loss">Loss of the last batch, nats per sample (reconstruction + beta * KL).</param>
/// <param name="Reconstruction">Reconstruction part of the last batch, nats per sample.</param>
/// <param name="Kl">KL part of the last batch, nats per sample.</param>
/// <param name="ImagesPerSecond">Training throughput so far in this epoch.</param>
/// <param name="Elapsed">Time since <see cref="VaeTrainer.Fit(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/> started.</param>
/// <param name="CompletedEpoch">Set on the report that ends an epoch.</param>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int BatchesPerEpoch, double Loss, double Reconstruction, double Kl,
    double ImagesPerSecond, TimeSpan Elapsed, EpochSummary? CompletedEpoch)
{
    /// <summary>The KL weight of the last batch (see <see cref="VaeTrainerOptions.KlWarmupEpochs"/>): <see cref="Loss"/> is <see cref="Reconstruction"/> + Beta * <see cref="Kl"/>.</summary>
    public double Beta { get; init; }
}
