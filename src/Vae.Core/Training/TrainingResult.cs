namespace Vae.Core;

/// <summary>The outcome of <see cref="VaeTrainer.Fit(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>.</summary>
/// <param name="History">Every epoch trained so far, including those before a resume.</param>
/// <param name="BestEpoch">The epoch with the lowest validation loss (the last epoch without validation data).</param>
/// <param name="StoppedEarly">Whether early stopping or a callback (<see cref="EpochContext.RequestStop"/>) ended the run before the last epoch.</param>
/// <param name="Elapsed">Wall time of this call.</param>
public sealed record TrainingResult(IReadOnlyList<EpochSummary> History, int BestEpoch, bool StoppedEarly, TimeSpan Elapsed)
{
    /// <summary>The last epoch's summary.</summary>
    public EpochSummary Last => History[^1];

    /// <summary>Why the run ended before its last epoch (early stopping, or the reason a callback gave); null when it did not.</summary>
    public string? StopReason { get; init; }
}
