namespace Vae.Core;

/// <summary>Mean negative ELBO over a data set, in nats per sample, with its two parts.</summary>
/// <param name="Loss">Reconstruction + KL (beta = 1): the negative ELBO.</param>
/// <param name="Reconstruction">Mean binary cross-entropy, summed over features.</param>
/// <param name="Kl">Mean KL(q(z|x) || p(z)).</param>
public sealed record ElboMetrics(double Loss, double Reconstruction, double Kl);

/// <summary>What one finished epoch achieved.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Train">Mean training loss of the epoch, nats per sample, with the beta in force at each step.</param>
/// <param name="Validation">Mean negative ELBO on the validation data after the epoch; null without validation data.</param>
/// <param name="Beta">The KL weight at the end of the epoch.</param>
/// <param name="ImagesPerSecond">Training throughput of the epoch (validation excluded).</param>
/// <param name="Duration">Wall time of the epoch's training steps.</param>
/// <param name="IsBest">Whether this epoch has the lowest validation loss so far.</param>
/// <param name="LiveTensors">TorchSharp's count of live tensors on the training thread at the end of the epoch.</param>
public sealed record EpochSummary(
    int Epoch, ElboMetrics Train, ElboMetrics? Validation, double Beta, double ImagesPerSecond, TimeSpan Duration, bool IsBest, long LiveTensors);

/// <summary>A report from <see cref="VaeTrainer"/>: after every batch, and once more at the end of each epoch.</summary>
/// <param name="Epoch">The current epoch, counted from 1.</param>
/// <param name="Epochs">The number of epochs the run aims for.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="BatchesPerEpoch">Batches in one epoch (0 when the batch source does not say).</param>
/// <param name="Loss">Loss of the last batch, nats per sample (reconstruction + beta * KL).</param>
/// <param name="Reconstruction">Reconstruction part of the last batch, nats per sample.</param>
/// <param name="Kl">KL part of the last batch, nats per sample.</param>
/// <param name="ImagesPerSecond">Training throughput so far in this epoch.</param>
/// <param name="Elapsed">Time since <see cref="VaeTrainer.Fit(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/> started.</param>
/// <param name="CompletedEpoch">Set on the report that ends an epoch.</param>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int BatchesPerEpoch, double Loss, double Reconstruction, double Kl,
    double ImagesPerSecond, TimeSpan Elapsed, EpochSummary? CompletedEpoch);

/// <summary>The outcome of <see cref="VaeTrainer.Fit(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>.</summary>
/// <param name="History">Every epoch trained so far, including those before a resume.</param>
/// <param name="BestEpoch">The epoch with the lowest validation loss (the last epoch without validation data).</param>
/// <param name="StoppedEarly">Whether early stopping ended the run before the last epoch.</param>
/// <param name="Elapsed">Wall time of this call.</param>
public sealed record TrainingResult(IReadOnlyList<EpochSummary> History, int BestEpoch, bool StoppedEarly, TimeSpan Elapsed)
{
    /// <summary>The last epoch's summary.</summary>
    public EpochSummary Last => History[^1];
}

/// <summary>Training met a NaN or infinite loss or gradient; the model keeps the weights of the step before.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for the step that diverged.</summary>
    /// <param name="epoch">Epoch of the step, from 1.</param>
    /// <param name="batch">Batch of the step within its epoch, from 1.</param>
    /// <param name="what">What was not finite.</param>
    public TrainingDivergedException(int epoch, int batch, string what)
        : base($"Training diverged at epoch {epoch}, batch {batch}: {what}. The model keeps the weights from before this step; " +
               "try a lower learning rate, gradient clipping (MaxGradientNorm), or check the data.")
    {
        Epoch = epoch;
        Batch = batch;
    }

    /// <summary>Epoch of the step that diverged, from 1.</summary>
    public int Epoch { get; }

    /// <summary>Batch of the step that diverged within its epoch, from 1.</summary>
    public int Batch { get; }
}
