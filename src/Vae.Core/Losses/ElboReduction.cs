namespace Vae.Core;

/// <summary>
/// How the library's loss functions (<see cref="ElboLoss"/>, <see cref="VariationalAutoencoder.NegativeElbo(TorchSharp.torch.Tensor, ElboReduction, double, TorchSharp.torch.Generator?)"/>)
/// reduce a batch, named for what they compute. The overloads that take TorchSharp's <c>Reduction</c> keep its
/// names with the library's meaning: their <c>Reduction.Mean</c> is <see cref="PerSample"/>, not TorchSharp's own
/// <c>Mean</c> (its <c>binary_cross_entropy</c> averages over every element, <see cref="ElementMean"/>, which for a
/// 784-pixel image is 784 times smaller).
/// </summary>
public enum ElboReduction
{
    /// <summary>
    /// The default: each sample's loss summed over its features (and latent dimensions), then averaged over the batch:
    /// nats per sample, the unit <see cref="VaeTrainer"/> reports. The same as <c>Reduction.Mean</c> in the library's
    /// overloads that take TorchSharp's <c>Reduction</c>.
    /// </summary>
    PerSample = 0,

    /// <summary>The per-sample losses summed over the batch: what the trainer minimizes.</summary>
    Sum = 1,

    /// <summary>No reduction over the batch: one value per sample, shape <c>[N]</c>, summed over its features.</summary>
    None = 2,

    /// <summary>
    /// The mean over every element of the batch (every feature of every sample), as TorchSharp's and PyTorch's
    /// <c>reduction: Mean</c>: <see cref="PerSample"/> divided by the number of features. Only for the single terms; the
    /// ELBO's two terms have different element counts, so <see cref="ElboLoss.NegativeElbo(VaeOutput, TorchSharp.torch.Tensor, ElboReduction, double, double)"/> refuses it.
    /// </summary>
    ElementMean = 3,
}
