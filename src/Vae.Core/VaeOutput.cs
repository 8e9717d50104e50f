using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>What one forward pass of a <see cref="VariationalAutoencoder"/> produces.</summary>
/// <param name="ReconstructionLogits">Logits of p(x|z), shape <c>[N, InputSize]</c>.</param>
/// <param name="Mean">Mean of q(z|x), shape <c>[N, LatentSize]</c>.</param>
/// <param name="LogVar">Log-variance of q(z|x), shape <c>[N, LatentSize]</c>.</param>
/// <param name="Z">The reparameterized sample from q(z|x) that was decoded.</param>
public sealed record VaeOutput(Tensor ReconstructionLogits, Tensor Mean, Tensor LogVar, Tensor Z) : IDisposable
{
    /// <summary>Disposes the four tensors (not needed inside a dispose scope).</summary>
    public void Dispose()
    {
        ReconstructionLogits.Dispose();
        Mean.Dispose();
        LogVar.Dispose();
        Z.Dispose();
    }
}

/// <summary>The terms of the negative evidence lower bound, in nats.</summary>
/// <param name="Reconstruction">Negative log-likelihood of the data given z (binary cross-entropy).</param>
/// <param name="Kl">KL(q(z|x) || p(z)).</param>
/// <param name="Loss">Reconstruction + beta * Kl, the quantity to minimize.</param>
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
