using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The VampPrior (Tomczak and Welling, 2018): <c>p(z) = (1/K) sum_k q(z | u_k)</c>, the mixture of the encoder's
/// posteriors at K learned pseudo-inputs u_k, trained with the rest of the model. The pseudo-inputs are parameters
/// <c>[K, InputSize]</c>, clipped to [0, 1] (hard tanh) before they are encoded, and start near 0.05 as in the paper.
/// </summary>
/// <remarks>
/// The KL term KL(q(z|x) || p(z)) has no closed form under this prior; the loss uses the one-sample estimate
/// <c>log q(z|x) - log p(z)</c> at the z the decoder sees, unbiased for the KL (the ELBO stays a bound in expectation).
/// The encoder is not a submodule of the prior: it is the model's, handed over on each call, so its weights are saved once.
/// </remarks>
public sealed class VampPrior : Module
{
    // Not readonly: Module.to replaces parameter fields when it changes their device or dtype.
    private Parameter pseudoInputs;

    /// <summary>Creates the pseudo-inputs of a model with <see cref="VaeOptions.Prior"/> = <see cref="VaePrior.Vamp"/>.</summary>
    /// <param name="options">The model's options.</param>
    public VampPrior(VaeOptions options) : base(VaeRuntime.CheckedName(nameof(VampPrior)))
    {
        ArgumentNullException.ThrowIfNull(options);
        // randn * 0.01 + 0.05 is what normal(0.05, 0.01) draws, with scalars that stay alive (see ScalarScope).
        using (var s = new ScalarScope())
            pseudoInputs = Parameter(randn([options.PseudoInputs, options.InputSize]).mul_(s[0.01]).add_(s[0.05], Scalars.One));
        RegisterComponents();
    }

    /// <summary>The raw pseudo-inputs <c>[K, InputSize]</c>; the encoder sees them clipped to [0, 1].</summary>
    public Parameter PseudoInputs => pseudoInputs;

    /// <summary>log p(z) for codes <c>[..., LatentSize]</c>, shape <c>[...]</c>, differentiable in z, the pseudo-inputs and the encoder.</summary>
    /// <param name="z">Latent codes.</param>
    /// <param name="encoder">The model's encoder.</param>
    public Tensor LogDensity(Tensor z, Encoder encoder)
    {
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(encoder);
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var (mean, logVariance) = Components(encoder);
        var latent = z.shape[^1];
        var flat = z.reshape(-1, latent).to_type(mean.dtype);
        // -0.5 sum_j (z_j - m_kj)^2 / v_kj + log v_kj + log 2 pi, expanded into products so that only [N, K] is held.
        var precision = logVariance.neg().exp();
        var quadratic = flat.pow(Scalars.Two).matmul(precision.t())
            .sub(flat.matmul(mean.mul(precision).t()).mul(Scalars.Two))
            .add(mean.pow(Scalars.Two).mul(precision).add(logVariance, Scalars.One).sum(1).unsqueeze(0), Scalars.One);
        var logComponents = quadratic.add(s[latent * 2 * GaussianDensity.HalfLogTwoPi], Scalars.One).mul(Scalars.MinusHalf);
        var logDensity = logComponents.logsumexp(1).sub(s[Math.Log(mean.shape[0])]);
        return logDensity.reshape(z.shape[..^1]).MoveToOuterDisposeScope();
    }

    /// <summary>Draws codes from the mixture: a pseudo-input uniformly, then z from its posterior.</summary>
    /// <param name="count">How many codes.</param>
    /// <param name="encoder">The model's encoder.</param>
    /// <param name="generator">Source of the choices and the noise; the global generator when null.</param>
    /// <returns>Codes <c>[count, LatentSize]</c>, without gradient.</returns>
    public Tensor Sample(int count, Encoder encoder, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (mean, logVariance) = Components(encoder);
        var chosen = randint(0, mean.shape[0], [count], device: mean.device, generator: generator);
        var noise = randn([count, mean.shape[1]], dtype: mean.dtype, device: mean.device, generator: generator);
        return mean.index_select(0, chosen).addcmul(noise, logVariance.index_select(0, chosen).mul(Scalars.Half).exp(), Scalars.One).MoveToOuterDisposeScope();
    }

    private (Tensor Mean, Tensor LogVariance) Components(Encoder encoder) =>
        encoder.forward(pseudoInputs.hardtanh(Scalars.Zero, Scalars.One));
}
