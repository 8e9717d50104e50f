namespace Vae.Core;

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
