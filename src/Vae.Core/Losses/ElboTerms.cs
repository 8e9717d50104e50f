using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>The terms of the negative evidence lower bound, in nats.</summary>
/// <param name="Reconstruction">Negative log-likelihood of the data given z (binary cross-entropy for Bernoulli data).</param>
/// <param name="Kl">
/// KL(q(z|x) || p(z)), always the true value, also when free bits change the loss; under a learned prior
/// (<see cref="VaePrior.Vamp"/>) its one-sample estimate <c>log q(z|x) - log p(z)</c> at the decoded z.
/// </param>
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
