using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>Log densities of diagonal Gaussians in full, normalizing constant included, in nats.</summary>
public static class GaussianDensity
{
    /// <summary>0.5 * log(2 * pi), the normalizing constant of one standard normal dimension.</summary>
    public static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>
    /// log N(x; mean, exp(logVariance)) = sum over the last dimension of
    /// <c>-0.5 * (x - mean)^2 / exp(logVariance) - 0.5 * logVariance - 0.5 * log(2 * pi)</c>.
    /// </summary>
    /// <param name="x">Points, shape <c>[..., D]</c>.</param>
    /// <param name="mean">Means, broadcastable to <paramref name="x"/>.</param>
    /// <param name="logVariance">Log-variances, broadcastable to <paramref name="x"/>.</param>
    /// <returns>The log densities, shape of <paramref name="x"/> without its last dimension.</returns>
    /// <exception cref="ArgumentException">A tensor is a scalar, or the shapes do not broadcast.</exception>
    public static Tensor LogDensity(Tensor x, Tensor mean, Tensor logVariance)
    {
        Guard.Batched(x, nameof(x));
        Guard.NotNull(mean, nameof(mean));
        Guard.NotNull(logVariance, nameof(logVariance));
        Guard.Broadcastable(x, nameof(x), mean, nameof(mean));
        Guard.Broadcastable(x, nameof(x), logVariance, nameof(logVariance));
        return LogDensityUnchecked(x, mean, logVariance);
    }

    /// <summary>log N(z; 0, I) = sum over the last dimension of <c>-0.5 * z^2 - 0.5 * log(2 * pi)</c>.</summary>
    /// <param name="z">Points, shape <c>[..., D]</c>.</param>
    /// <returns>The log densities, shape of <paramref name="z"/> without its last dimension.</returns>
    /// <exception cref="ArgumentException"><paramref name="z"/> is a scalar.</exception>
    public static Tensor StandardLogDensity(Tensor z)
    {
        Guard.Batched(z, nameof(z));
        return StandardLogDensityUnchecked(z);
    }

    internal static Tensor LogDensityUnchecked(Tensor x, Tensor mean, Tensor logVariance)
    {
        using var scope = NewDisposeScope();
        var elementwise = (x - mean).pow_(Scalars.Two).mul_((-logVariance).exp_()).add_(logVariance, Scalars.One).mul_(Scalars.MinusHalf).sub_(Scalars.HalfLogTwoPi);
        return elementwise.sum(-1).MoveToOuterDisposeScope();
    }

    internal static Tensor StandardLogDensityUnchecked(Tensor z)
    {
        using var scope = NewDisposeScope();
        return z.pow(Scalars.Two).mul_(Scalars.MinusHalf).sub_(Scalars.HalfLogTwoPi).sum(-1).MoveToOuterDisposeScope();
    }
}
