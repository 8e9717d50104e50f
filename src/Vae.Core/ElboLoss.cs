using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The terms of the negative evidence lower bound (ELBO) of a VAE with a standard normal prior and a
/// Bernoulli likelihood, in nats.
/// </summary>
/// <remarks>
/// Every method reduces the same way: <see cref="Reduction.None"/> gives one value per sample (shape <c>[N]</c>,
/// summed over every non-batch dimension), <see cref="Reduction.Sum"/> the total over the batch, and
/// <see cref="Reduction.Mean"/> the mean of the per-sample values, i.e. nats per sample. That differs from
/// PyTorch's <c>reduction='mean'</c>, which averages over every element (nats per pixel).
/// </remarks>
public static class ElboLoss
{
    /// <summary>Analytic KL(N(mean, exp(logVar)) || N(0, I)) = 0.5 * sum(mean^2 + exp(logVar) - 1 - logVar).</summary>
    /// <param name="mean">Posterior means, shape <c>[N, ...]</c>.</param>
    /// <param name="logVar">Posterior log-variances, the same shape as <paramref name="mean"/>.</param>
    /// <param name="reduction">How to reduce over the batch; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, or the tensors have no batch dimension.</exception>
    public static Tensor KlDivergence(Tensor mean, Tensor logVar, Reduction reduction = Reduction.Sum)
    {
        Guard.Batched(mean, nameof(mean));
        Guard.SameShape(mean, nameof(mean), logVar, nameof(logVar));
        return KlUnchecked(mean, logVar, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of probabilities against targets, exactly as PyTorch's
    /// <c>binary_cross_entropy</c> computes it (each log is clamped at -100, so probabilities of exactly 0 or 1 give
    /// finite values).
    /// </summary>
    /// <param name="probabilities">Predicted probabilities in [0, 1], shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets in [0, 1], the same shape.</param>
    /// <param name="reduction">How to reduce over the batch; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, or a value is NaN or outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropy(Tensor probabilities, Tensor target, Reduction reduction = Reduction.Sum)
    {
        Guard.Batched(probabilities, nameof(probabilities));
        Guard.SameShape(probabilities, nameof(probabilities), target, nameof(target));
        Guard.UnitInterval(probabilities, nameof(probabilities));
        Guard.UnitInterval(target, nameof(target));
        using var scope = NewDisposeScope();
        var elementwise = functional.binary_cross_entropy(probabilities, target, reduction: Reduction.None);
        return Reduce(elementwise, reduction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Binary cross-entropy of logits against targets in the numerically stable form
    /// <c>max(x, 0) - x * t + log(1 + exp(-|x|))</c>: finite and exact even for logits of +-100.
    /// This is the reconstruction term the model trains with.
    /// </summary>
    /// <param name="logits">Logits, shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets in [0, 1], the same shape.</param>
    /// <param name="reduction">How to reduce over the batch; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, a logit is NaN, or a target is NaN or outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Sum)
    {
        Guard.Batched(logits, nameof(logits));
        Guard.SameShape(logits, nameof(logits), target, nameof(target));
        Guard.NoNaN(logits, nameof(logits));
        Guard.UnitInterval(target, nameof(target));
        return BceWithLogitsUnchecked(logits, target, reduction);
    }

    /// <summary>
    /// The negative ELBO of a forward pass: reconstruction + beta * KL, with both parts.
    /// </summary>
    /// <param name="output">The model's output for <paramref name="target"/>.</param>
    /// <param name="target">The batch that was encoded, values in [0, 1].</param>
    /// <param name="beta">Weight of the KL term; 1 gives the plain ELBO.</param>
    /// <param name="reduction">How to reduce over the batch; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">Shapes differ, a target is outside [0, 1], or beta is negative or not finite.</exception>
    public static ElboTerms NegativeElbo(VaeOutput output, Tensor target, double beta = 1.0, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(output);
        Guard.SameShape(output.ReconstructionLogits, "output.ReconstructionLogits", target, nameof(target));
        Guard.UnitInterval(target, nameof(target));
        Guard.Beta(beta);
        return NegativeElboUnchecked(output, target, beta, reduction);
    }

    internal static ElboTerms NegativeElboUnchecked(VaeOutput output, Tensor target, double beta, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        var reconstruction = BceWithLogitsUnchecked(output.ReconstructionLogits, target, reduction);
        var kl = KlUnchecked(output.Mean, output.LogVar, reduction);
        var loss = beta == 1.0 ? reconstruction + kl : reconstruction + beta * kl;
        return new ElboTerms(
            reconstruction.MoveToOuterDisposeScope(),
            kl.MoveToOuterDisposeScope(),
            loss.MoveToOuterDisposeScope());
    }

    internal static Tensor KlUnchecked(Tensor mean, Tensor logVar, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        var elementwise = (mean.square() + logVar.exp() - logVar - 1).mul_(0.5);
        return Reduce(elementwise, reduction).MoveToOuterDisposeScope();
    }

    internal static Tensor BceWithLogitsUnchecked(Tensor logits, Tensor target, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        var elementwise = functional.binary_cross_entropy_with_logits(logits, target, reduction: Reduction.None);
        return Reduce(elementwise, reduction).MoveToOuterDisposeScope();
    }

    /// <summary>Sums over every non-batch dimension, then reduces over the batch.</summary>
    private static Tensor Reduce(Tensor elementwise, Reduction reduction)
    {
        var perSample = elementwise.dim() == 1 ? elementwise : elementwise.flatten(1).sum(1);
        return reduction switch
        {
            Reduction.None => perSample,
            Reduction.Sum => perSample.sum(),
            Reduction.Mean => perSample.mean(),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
        };
    }
}
