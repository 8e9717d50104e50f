using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>What one forward pass of a <see cref="VariationalAutoencoder"/> produces.</summary>
/// <param name="DecoderOutput">
/// The decoder's output, shape <c>[N, InputSize]</c>, which parameterizes p(x|z) as <see cref="Likelihood"/> says: the
/// logits of a Bernoulli p(x|z), the means of a Gaussian one (see <see cref="ReconstructionLogVariance"/>), or what a
/// likelihood of your own reads; <see cref="DataLikelihood.Mean"/> turns it into the mean of p(x|z).
/// </param>
/// <param name="Mean">Mean of q(z|x), shape <c>[N, LatentSize]</c>.</param>
/// <param name="LogVariance">Log-variance of q(z|x), shape <c>[N, LatentSize]</c>.</param>
/// <param name="Z">The reparameterized sample from q(z|x) that was decoded.</param>
public sealed record VaeOutput(Tensor DecoderOutput, Tensor Mean, Tensor LogVariance, Tensor Z) : IDisposable
{
    /// <summary>
    /// The distribution p(x|z) that <see cref="DecoderOutput"/> parameterizes: the model's
    /// <see cref="VaeOptions.Likelihood"/>. The loss functions of <see cref="ElboLoss"/> choose the likelihood by it;
    /// Bernoulli unless set.
    /// </summary>
    public VaeLikelihood Likelihood { get; init; }

    /// <summary>
    /// For a <see cref="VaeLikelihood.Gaussian"/> p(x|z), its log-variance, broadcastable to
    /// <see cref="DecoderOutput"/> (shape <c>[InputSize]</c> when learned, a scalar when fixed); null for the other
    /// likelihoods, which have no variance parameter.
    /// </summary>
    public Tensor? ReconstructionLogVariance { get; init; }

    /// <summary>The model's likelihood, which outranks <see cref="Likelihood"/>; null for an output built by hand.</summary>
    internal DataLikelihood? Distribution { get; init; }

    /// <summary>The model's prior; null for an output built by hand, whose prior is N(0, I).</summary>
    internal LatentPrior? PriorDistribution { get; init; }

    /// <summary>Disposes the tensors (not needed inside a dispose scope); a learned variance stays the model's.</summary>
    public void Dispose()
    {
        DecoderOutput.Dispose();
        Mean.Dispose();
        LogVariance.Dispose();
        Z.Dispose();
        // A view of the decoder's parameter: disposing the handle leaves the parameter alone.
        ReconstructionLogVariance?.Dispose();
    }
}
