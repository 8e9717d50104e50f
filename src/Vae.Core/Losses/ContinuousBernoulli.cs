using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The continuous Bernoulli distribution (Loaiza-Ganem and Cunningham, 2019) on [0, 1]:
/// <c>p(x | lambda) = C(lambda) * lambda^x * (1 - lambda)^(1 - x)</c>, with the normaliser
/// <c>C(lambda) = 2 * atanh(1 - 2 * lambda) / (1 - 2 * lambda)</c> (2 at lambda = 1/2), which the binary cross-entropy
/// lacks: BCE on grey levels is not a normalised density, this is. Everything is computed from the logit
/// <c>l = log(lambda / (1 - lambda))</c>, the decoder's output.
/// </summary>
/// <remarks>
/// In logits the normaliser is <c>C = l / tanh(l / 2)</c> and the mean <c>E[x] = 1 / (1 - exp(-l)) - 1 / l</c>. Both
/// cancel catastrophically near l = 0 (lambda near 1/2), so there they come from their Taylor series (in l, to the
/// precision of the tensor's type); away from it, <c>log|l| - log tanh(|l| / 2)</c> is exact for any size of l, so lambda
/// near 0 or 1 (l of +-100 and more) is as accurate as lambda near 1/2. The series branch sees only small logits and the
/// closed-form branch only large ones, so neither produces an infinity whose zero-weighted gradient would be NaN.
/// </remarks>
public static class ContinuousBernoulli
{
    /// <summary>
    /// log C(lambda) element by element from the logits: <c>log(l / tanh(l / 2))</c>, log 2 at l = 0, growing like
    /// <c>log|l|</c> as lambda nears 0 or 1. Differentiable.
    /// </summary>
    /// <param name="logits">Logits of lambda, any shape, floating.</param>
    /// <returns>A tensor of the same shape.</returns>
    /// <exception cref="ArgumentException">A logit is NaN.</exception>
    public static Tensor LogNormalizer(Tensor logits)
    {
        Guard.NotNull(logits, nameof(logits));
        Guard.NoNaN(logits, nameof(logits));
        return LogNormalizerUnchecked(logits);
    }

    /// <summary>
    /// The mean of the distribution, element by element from the logits: <c>1 / (1 - exp(-l)) - 1 / l</c>, 1/2 at l = 0.
    /// It lies strictly between 0 and 1 and, unlike lambda, is what the distribution's samples average to, so it is
    /// the picture <see cref="VariationalAutoencoder.Decode(Tensor)"/> returns.
    /// </summary>
    /// <param name="logits">Logits of lambda, any shape, floating.</param>
    /// <returns>A tensor of the same shape, in (0, 1).</returns>
    /// <exception cref="ArgumentException">A logit is NaN.</exception>
    public static Tensor Mean(Tensor logits)
    {
        Guard.NotNull(logits, nameof(logits));
        Guard.NoNaN(logits, nameof(logits));
        return MeanUnchecked(logits);
    }

    /// <summary>
    /// -log p(x | lambda) of targets in [0, 1] under independent continuous Bernoulli features:
    /// <c>BCE(l, x) - log C(lambda)</c> per feature, reduced like every term of <see cref="ElboLoss"/>.
    /// </summary>
    /// <param name="logits">Logits of lambda, shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets in [0, 1], the same shape.</param>
    /// <param name="reduction">How to reduce over the batch, nats per sample by default; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, a logit is NaN, or a target is NaN or outside [0, 1].</exception>
    public static Tensor NegativeLogLikelihood(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Guard.Batched(logits, nameof(logits));
        Guard.SameShape(logits, nameof(logits), target, nameof(target));
        Guard.NoNaN(logits, nameof(logits));
        Guard.UnitInterval(target, nameof(target));
        using var scope = NewDisposeScope();
        return ElboLoss.Reduce(NegativeLogLikelihoodElementwise(logits, target), reduction).MoveToOuterDisposeScope();
    }

    internal static Tensor NegativeLogLikelihoodElementwise(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        var bce = functional.binary_cross_entropy_with_logits(logits, target, reduction: Reduction.None);
        return bce.sub(LogNormalizerUnchecked(logits)).MoveToOuterDisposeScope();
    }

    internal static Tensor LogNormalizerUnchecked(Tensor logits)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var cutoff = s[SeriesCutoff(logits.dtype)];
        var magnitude = logits.abs();
        var near = magnitude.lt(cutoff);
        // log(x coth x) with x = l / 2 = x^2/3 - 7x^4/90 + 62x^6/2835 - 127x^8/18900: the next term, 0.0022 x^10, is
        // below the type's rounding inside the cutoff.
        var x2 = where(near, logits, zeros_like(logits)).mul(Scalars.Half).pow(Scalars.Two);
        // Out of place throughout: autograd keeps the intermediate values for the gradient.
        var series = x2.mul(s[-127.0 / 18900]).add(s[62.0 / 2835], Scalars.One).mul(x2).sub(s[7.0 / 90]).mul(x2)
            .add(s[1.0 / 3], Scalars.One).mul(x2).add(s[Math.Log(2)], Scalars.One);
        var far = where(near, full_like(logits, cutoff), magnitude);
        var closed = far.log().sub(far.mul(Scalars.Half).tanh().log());
        return where(near, series, closed).MoveToOuterDisposeScope();
    }

    internal static Tensor MeanUnchecked(Tensor logits)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var cutoff = s[SeriesCutoff(logits.dtype)];
        var near = logits.abs().lt(cutoff);
        // 1/2 + l/12 - l^3/720 + l^5/30240 - l^7/1209600 (the Bernoulli numbers' series of 1 / (1 - exp(-l)) - 1 / l).
        var small = where(near, logits, zeros_like(logits));
        var l2 = small.pow(Scalars.Two);
        var series = l2.mul(s[-1.0 / 1209600]).add(s[1.0 / 30240], Scalars.One).mul(l2).sub(s[1.0 / 720]).mul(l2)
            .add(s[1.0 / 12], Scalars.One).mul(small).add(Scalars.Half, Scalars.One);
        var large = where(near, full_like(logits, cutoff), logits);
        var closed = large.neg().expm1().reciprocal().neg().sub(large.reciprocal());
        return where(near, series, closed).MoveToOuterDisposeScope();
    }

    // Below it the series is exact to the type's rounding; above it the closed forms lose less than a few ulps to cancellation.
    private static double SeriesCutoff(ScalarType dtype) => dtype == ScalarType.Float64 ? 0.1 : 0.5;
}
