using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>The reparameterization trick: a differentiable sample from N(mean, exp(logVariance)).</summary>
public static class Reparameterization
{
    /// <summary>
    /// Returns <c>z = mean + eps * exp(0.5 * logVariance)</c> with <c>eps ~ N(0, I)</c>, so gradients flow to
    /// <paramref name="mean"/> (dz/dmean = 1) and <paramref name="logVariance"/> (dz/dlogVar = 0.5 * eps * std).
    /// </summary>
    /// <param name="mean">Means, any shape.</param>
    /// <param name="logVariance">Log-variances, the same shape as <paramref name="mean"/>.</param>
    /// <param name="generator">Source of the noise; the global generator (<c>torch.manual_seed</c>) when null.</param>
    /// <exception cref="ArgumentException">The two shapes differ.</exception>
    public static Tensor Sample(Tensor mean, Tensor logVariance, Generator? generator = null)
    {
        Guard.SameShape(mean, nameof(mean), logVariance, nameof(logVariance));
        using var scope = NewDisposeScope();
        var std = logVariance.mul(Scalars.Half).exp_();
        var eps = randn(mean.shape, dtype: mean.dtype, device: mean.device, generator: generator);
        return mean.addcmul(eps, std, Scalars.One).MoveToOuterDisposeScope();
    }
}
