namespace Vae.Core;

/// <summary>One training step's loss terms, each summed over the batch's samples (nats).</summary>
/// <param name="Samples">The samples in the batch.</param>
/// <param name="Loss">The loss at the step's KL weight: reconstruction + beta x KL, plus any penalty.</param>
/// <param name="Reconstruction">The reconstruction term (the negative log-likelihood).</param>
/// <param name="Kl">The KL term, before the KL weight.</param>
/// <param name="GradientCheck">
/// A figure that is finite exactly when every gradient is (their sum, or their norm after clipping to
/// <see cref="VaeTrainerOptions.MaxGradientNorm"/>), when the step computed it on its way; null lets the trainer
/// compute it (and clip) from the gradients.
/// </param>
public readonly record struct StepResult(long Samples, double Loss, double Reconstruction, double Kl, double? GradientCheck = null);
