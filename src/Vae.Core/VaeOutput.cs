using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>What one forward pass of a <see cref="VariationalAutoencoder"/> produces.</summary>
/// <param name="ReconstructionLogits">
/// The decoder's output, shape <c>[N, InputSize]</c>: the logits of a Bernoulli p(x|z), or the means of a Gaussian one
/// (see <see cref="ReconstructionLogVar"/>).
/// </param>
/// <param name="Mean">Mean of q(z|x), shape <c>[N, LatentSize]</c>.</param>
/// <param name="LogVar">Log-variance of q(z|x), shape <c>[N, LatentSize]</c>.</param>
/// <param name="Z">The reparameterized sample from q(z|x) that was decoded.</param>
public sealed record VaeOutput(Tensor ReconstructionLogits, Tensor Mean, Tensor LogVar, Tensor Z) : IDisposable
{
    /// <summary>
    /// Null when p(x|z) is Bernoulli; for a Gaussian p(x|z), its log-variance, broadcastable to
    /// <see cref="ReconstructionLogits"/> (shape <c>[InputSize]</c> when learned, a scalar when fixed). The loss
    /// functions of <see cref="ElboLoss"/> choose the likelihood by it.
    /// </summary>
    public Tensor? ReconstructionLogVar { get; init; }

    /// <summary>Disposes the tensors (not needed inside a dispose scope); a learned variance stays the model's.</summary>
    public void Dispose()
    {
        ReconstructionLogits.Dispose();
        Mean.Dispose();
        LogVar.Dispose();
        Z.Dispose();
        // A view of the decoder's parameter: disposing the handle leaves the parameter alone.
        ReconstructionLogVar?.Dispose();
    }
}

/// <summary>The terms of the negative evidence lower bound, in nats.</summary>
/// <param name="Reconstruction">Negative log-likelihood of the data given z (binary cross-entropy for Bernoulli data).</param>
/// <param name="Kl">KL(q(z|x) || p(z)), always the true value, also when free bits change the loss.</param>
/// <param name="Loss">
/// Reconstruction + beta * Kl, the quantity to minimize; with free bits the KL term in it is the floored one
/// (<see cref="ElboLoss.FreeBitsKl"/>).
/// </param>
public sealed record ElboTerms(Tensor Reconstruction, Tensor Kl, Tensor Loss) : IDisposable
{
    /// <summary>Disposes the three tensors (not needed inside a dispose scope).</summary>
    public void Dispose()
    {
        Reconstruction.Dispose();
        Kl.Dispose();
        Loss.Dispose();
    }
}
