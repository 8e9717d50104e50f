using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The terms of the model's log-joint, written once: the posterior q(z|x) and its sample, log p(x|z) through the decoder
/// and the likelihood, log p(z) under the prior, log q(z|x), and the KL. The ELBO, the IWAE objective and estimate, the
/// deterministic ELBO and the anomaly scores are all made of these.
/// </summary>
internal static class LogJoint
{
    /// <summary>The mean and log-variance of q(z|x).</summary>
    public static (Tensor Mean, Tensor LogVariance) Posterior(VariationalAutoencoder model, Tensor x) => model.Posterior(x);

    /// <summary>z = mean + std * eps, the reparameterized sample of q(z|x) for standard noise <paramref name="epsilon"/> (<c>[..., N, LatentSize]</c>).</summary>
    public static Tensor PosteriorSample(Tensor mean, Tensor standardDeviation, Tensor epsilon) => mean.addcmul(epsilon, standardDeviation, Scalars.One);

    /// <summary>-log p(x|z) per feature for codes <paramref name="z"/> (<c>[N, LatentSize]</c> or <c>[S, N, LatentSize]</c>) of the data rows <paramref name="x"/>, shape <c>[..., N, InputSize]</c>.</summary>
    public static Tensor NegativeLogLikelihood(VariationalAutoencoder model, Tensor z, Tensor x)
    {
        if (z.dim() == 2) return Reconstruction(model, model.LikelihoodParameters(model.DecoderInput(z, x)), model.FeaturesOf(x));
        var (count, rows) = (z.shape[0], z.shape[1]);
        var decoded = model.LikelihoodParameters(model.DecoderInput(z, x).reshape(count * rows, -1)).reshape(count, rows, -1);
        return Reconstruction(model, decoded, model.FeaturesOf(x).expand_as(decoded));
    }

    /// <summary>-log p(x|z) per feature from the decoder's output <paramref name="decoded"/> for targets of the same shape.</summary>
    public static Tensor Reconstruction(VariationalAutoencoder model, Tensor decoded, Tensor target) =>
        model.Likelihood.NegativeLogDensity(decoded, model.OutputLogVariance(decoded.dtype, decoded.device), target);

    /// <summary>log p(z) under the model's prior, <c>[...]</c> for codes <c>[..., LatentSize]</c>.</summary>
    public static Tensor PriorLogDensity(VariationalAutoencoder model, Tensor z) => model.Prior.LogDensity(z);

    /// <summary>log q(z|x) per row, differentiable (out of place), for codes <c>[..., LatentSize]</c>.</summary>
    public static Tensor PosteriorLogDensity(Tensor z, Tensor mean, Tensor logVariance) =>
        z.sub(mean).pow(Scalars.Two).mul(logVariance.neg().exp()).add(logVariance, Scalars.One).add(Scalars.LogTwoPi, Scalars.One).sum(-1).mul(Scalars.MinusHalf);

    /// <summary>
    /// KL(q(z|x) || p(z)) per row reduced as <paramref name="reduction"/>: in closed form where the prior has one,
    /// else its one-sample estimate at <paramref name="z"/>.
    /// </summary>
    public static Tensor Kl(LatentPrior prior, Tensor z, Tensor mean, Tensor logVariance, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        var perRow = prior.KlPerDimension(mean, logVariance) ?? prior.KlEstimate(z, mean, logVariance);
        return ElboLoss.Reduce(perRow, reduction).MoveToOuterDisposeScope();
    }

    /// <summary>The negative ELBO per row with z at the posterior mean (deterministic): -log p(x|mean) + KL, shape <c>[N]</c>.</summary>
    public static Tensor NegativeElboAtMean(VariationalAutoencoder model, Tensor x) => NegativeElboAtMean(model, x, null, 1);

    /// <summary>
    /// <see cref="NegativeElboAtMean(VariationalAutoencoder, Tensor)"/> with log p(x|z) from <paramref name="fused"/>
    /// when given (x a float32 CPU tensor), and then the posterior from <see cref="Kernels.FusedEncoder"/> when the model
    /// has one: the same value to float rounding.
    /// </summary>
    public static Tensor NegativeElboAtMean(VariationalAutoencoder model, Tensor x, Kernels.FusedLikelihood? fused, int threads)
    {
        using var scope = NewDisposeScope();
        if (fused is not null) x = x.contiguous();
        // With the fused decoder, the encoder's posterior on the fused kernels too when the model has them.
        using var encoder = fused is null ? null : model.FusedEncoderFor(x.shape[0]);
        var (mean, logVariance) = encoder is null ? Posterior(model, x) : encoder.Posterior(x, threads);
        var reconstruction = fused is not null
            ? fused.LogLikelihood(mean.contiguous(), x, threads).neg_()
            : NegativeLogLikelihood(model, mean, x).sum(1);
        // Under a prior without a closed-form KL: its estimate at the posterior mean, still deterministic.
        var kl = Kl(model.Prior, mean, mean, logVariance, Reduction.None);
        return reconstruction.add(kl, Scalars.One).MoveToOuterDisposeScope();
    }
}
