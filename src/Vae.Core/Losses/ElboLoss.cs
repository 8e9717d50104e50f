using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The terms of the negative evidence lower bound (ELBO) of a VAE with a standard normal prior and a
/// Bernoulli or Gaussian likelihood, in nats.
/// </summary>
/// <remarks>
/// Every method reduces the same way and defaults to the same reduction, <see cref="ElboReduction.PerSample"/>: each
/// sample's loss summed over its features, averaged over the batch, i.e. nats per sample, the unit in which
/// <see cref="VaeTrainer"/> reports losses. Each method has an overload that takes an <see cref="ElboReduction"/>,
/// which names that and the others: <see cref="ElboReduction.Sum"/> (the total over the batch, what the trainer
/// minimizes), <see cref="ElboReduction.None"/> (one value per sample, shape <c>[N]</c>, summed over every non-batch
/// dimension) and <see cref="ElboReduction.ElementMean"/> (the mean over every element, PyTorch's
/// <c>reduction='mean'</c>, nats per pixel). The overloads that take TorchSharp's <see cref="Reduction"/> read it with
/// the library's meaning: <see cref="Reduction.Mean"/> there is <see cref="ElboReduction.PerSample"/>, not
/// TorchSharp's mean over every element, which for <c>binary_cross_entropy</c> on 784 pixels is 784 times smaller.
/// </remarks>
public static class ElboLoss
{
    /// <summary>Analytic KL(N(mean, exp(logVariance)) || N(0, I)) = 0.5 * sum(mean^2 + exp(logVariance) - 1 - logVariance).</summary>
    /// <param name="mean">Posterior means, shape <c>[N, ...]</c>.</param>
    /// <param name="logVariance">Posterior log-variances, the same shape as <paramref name="mean"/>.</param>
    /// <param name="reduction">How to reduce over the batch, nats per sample by default; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, or the tensors have no batch dimension.</exception>
    public static Tensor KlDivergence(Tensor mean, Tensor logVariance, Reduction reduction = Reduction.Mean)
    {
        Guard.Batched(mean, nameof(mean));
        Guard.SameShape(mean, nameof(mean), logVariance, nameof(logVariance));
        return KlUnchecked(mean, logVariance, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of probabilities against targets, exactly as PyTorch's
    /// <c>binary_cross_entropy</c> computes it (each log is clamped at -100, so probabilities of exactly 0 or 1 give
    /// finite values).
    /// </summary>
    /// <param name="probabilities">Predicted probabilities in [0, 1], shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets in [0, 1], the same shape.</param>
    /// <param name="reduction">How to reduce over the batch, nats per sample by default; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, or a value is NaN or outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropy(Tensor probabilities, Tensor target, Reduction reduction = Reduction.Mean)
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
    /// <param name="reduction">How to reduce over the batch, nats per sample by default; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, a logit is NaN, or a target is NaN or outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Guard.Batched(logits, nameof(logits));
        Guard.SameShape(logits, nameof(logits), target, nameof(target));
        Guard.NoNaN(logits, nameof(logits));
        Guard.UnitInterval(target, nameof(target));
        return BceWithLogitsUnchecked(logits, target, reduction);
    }

    /// <summary>
    /// Negative log-likelihood of targets under independent Gaussians, in full (normalizing constant included):
    /// <c>0.5 * ((target - mean)^2 / exp(logVariance) + logVariance + log(2 * pi))</c> per feature.
    /// </summary>
    /// <param name="mean">Means, shape <c>[N, ...]</c>.</param>
    /// <param name="target">Finite targets, the same shape.</param>
    /// <param name="logVariance">Log-variances, broadcastable to <paramref name="mean"/> (e.g. one per feature, <c>[D]</c>).</param>
    /// <param name="reduction">How to reduce over the batch, nats per sample by default; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ or do not broadcast, or a value is NaN or infinite.</exception>
    public static Tensor GaussianNegativeLogLikelihood(Tensor mean, Tensor target, Tensor logVariance, Reduction reduction = Reduction.Mean)
    {
        Guard.Batched(mean, nameof(mean));
        Guard.SameShape(mean, nameof(mean), target, nameof(target));
        Guard.NotNull(logVariance, nameof(logVariance));
        Guard.Broadcastable(mean, nameof(mean), logVariance, nameof(logVariance));
        Guard.Finite(mean, nameof(mean));
        Guard.Finite(target, nameof(target));
        Guard.Finite(logVariance, nameof(logVariance));
        using var scope = NewDisposeScope();
        return Reduce(GaussianNllElementwise(mean, target, logVariance), reduction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Negative log-likelihood of targets under independent Gaussians of one fixed <paramref name="variance"/>:
    /// <c>0.5 * ((target - mean)^2 / variance + log(variance) + log(2 * pi))</c> per feature.
    /// </summary>
    /// <param name="mean">Means, shape <c>[N, ...]</c>.</param>
    /// <param name="target">Finite targets, the same shape.</param>
    /// <param name="variance">The variance of every feature, positive and finite.</param>
    /// <param name="reduction">How to reduce over the batch, nats per sample by default; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, a value is NaN or infinite, or the variance is not positive.</exception>
    public static Tensor GaussianNegativeLogLikelihood(Tensor mean, Tensor target, double variance, Reduction reduction = Reduction.Mean)
    {
        if (!double.IsFinite(variance) || variance <= 0)
            throw new ArgumentException($"variance must be positive and finite, but was {variance}.", nameof(variance));
        Guard.NotNull(mean, nameof(mean));
        using var scope = NewDisposeScope();
        var logVariance = tensor(Math.Log(variance), dtype: mean.dtype, device: mean.device);
        return GaussianNegativeLogLikelihood(mean, target, logVariance, reduction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The KL term with free bits (Kingma et al., 2016): the KL of each latent dimension averaged over the batch,
    /// floored at <paramref name="freeBits"/> nats, and summed over dimensions:
    /// <c>sum_j max(freeBits, mean_n KL_nj)</c>. Dimensions whose KL lies below the floor get no gradient from it, so
    /// the model is not pushed to leave them unused. It is at least <c>LatentSize * freeBits</c>.
    /// </summary>
    /// <param name="mean">Posterior means, shape <c>[N, LatentSize]</c>.</param>
    /// <param name="logVariance">Posterior log-variances, the same shape.</param>
    /// <param name="freeBits">The floor in nats per latent dimension; 0 gives the plain KL.</param>
    /// <param name="reduction">
    /// <see cref="Reduction.Mean"/> for nats per sample (the default), <see cref="Reduction.Sum"/> for that times N; the floor acts on
    /// a batch average, so there is no per-sample value (<see cref="Reduction.None"/> is rejected).
    /// </param>
    /// <exception cref="ArgumentException">
    /// The tensors are not <c>[N, LatentSize]</c> of the same shape, <paramref name="freeBits"/> is negative or not finite,
    /// or the reduction is <see cref="Reduction.None"/>.
    /// </exception>
    public static Tensor FreeBitsKl(Tensor mean, Tensor logVariance, double freeBits, Reduction reduction = Reduction.Mean)
    {
        Guard.NotNull(mean, nameof(mean));
        if (mean.dim() != 2)
            throw new ArgumentException($"mean must have shape [N, LatentSize] (rank 2), but has shape {Guard.Shape(mean)}.", nameof(mean));
        Guard.SameShape(mean, nameof(mean), logVariance, nameof(logVariance));
        Guard.FreeBits(freeBits);
        if (reduction == Reduction.None)
            throw new ArgumentException("Free bits floor the KL averaged over the batch, so there is no per-sample value: use Mean or Sum.", nameof(reduction));
        return FreeBitsKlUnchecked(mean, logVariance, freeBits, reduction);
    }

    /// <summary><see cref="KlDivergence(Tensor, Tensor, Reduction)"/> reduced as <paramref name="reduction"/> names (over the latent dimensions for <see cref="ElboReduction.ElementMean"/>).</summary>
    /// <param name="mean">Posterior means, shape <c>[N, ...]</c>.</param>
    /// <param name="logVariance">Posterior log-variances, the same shape as <paramref name="mean"/>.</param>
    /// <param name="reduction">How to reduce the batch; see <see cref="ElboReduction"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, or the tensors have no batch dimension.</exception>
    public static Tensor KlDivergence(Tensor mean, Tensor logVariance, ElboReduction reduction) =>
        Reduced(reduction, mean, r => KlDivergence(mean, logVariance, r));

    /// <summary><see cref="BinaryCrossEntropy(Tensor, Tensor, Reduction)"/> reduced as <paramref name="reduction"/> names.</summary>
    /// <param name="probabilities">Predicted probabilities in [0, 1], shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets in [0, 1], the same shape.</param>
    /// <param name="reduction">How to reduce the batch; <see cref="ElboReduction.ElementMean"/> is TorchSharp's <c>binary_cross_entropy</c> default.</param>
    /// <exception cref="ArgumentException">The shapes differ, or a value is NaN or outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropy(Tensor probabilities, Tensor target, ElboReduction reduction) =>
        Reduced(reduction, target, r => BinaryCrossEntropy(probabilities, target, r));

    /// <summary><see cref="BinaryCrossEntropyWithLogits(Tensor, Tensor, Reduction)"/> reduced as <paramref name="reduction"/> names.</summary>
    /// <param name="logits">Logits, shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets in [0, 1], the same shape.</param>
    /// <param name="reduction">How to reduce the batch; see <see cref="ElboReduction"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, a logit is NaN, or a target is NaN or outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, ElboReduction reduction) =>
        Reduced(reduction, target, r => BinaryCrossEntropyWithLogits(logits, target, r));

    /// <summary><see cref="GaussianNegativeLogLikelihood(Tensor, Tensor, Tensor, Reduction)"/> reduced as <paramref name="reduction"/> names.</summary>
    /// <param name="mean">Predicted means, shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets, the same shape.</param>
    /// <param name="logVariance">Log-variances, broadcastable to the targets.</param>
    /// <param name="reduction">How to reduce the batch; see <see cref="ElboReduction"/>.</param>
    /// <exception cref="ArgumentException">The shapes do not match, or a value is not finite.</exception>
    public static Tensor GaussianNegativeLogLikelihood(Tensor mean, Tensor target, Tensor logVariance, ElboReduction reduction) =>
        Reduced(reduction, target, r => GaussianNegativeLogLikelihood(mean, target, logVariance, r));

    /// <summary><see cref="GaussianNegativeLogLikelihood(Tensor, Tensor, double, Reduction)"/> reduced as <paramref name="reduction"/> names.</summary>
    /// <param name="mean">Predicted means, shape <c>[N, ...]</c>.</param>
    /// <param name="target">Targets, the same shape.</param>
    /// <param name="variance">The variance of every feature, positive.</param>
    /// <param name="reduction">How to reduce the batch; see <see cref="ElboReduction"/>.</param>
    /// <exception cref="ArgumentException">The shapes differ, a value is not finite, or the variance is not positive.</exception>
    public static Tensor GaussianNegativeLogLikelihood(Tensor mean, Tensor target, double variance, ElboReduction reduction) =>
        Reduced(reduction, target, r => GaussianNegativeLogLikelihood(mean, target, variance, r));

    /// <summary>
    /// <see cref="NegativeElbo(VaeOutput, Tensor, double, Reduction, double)"/> reduced as <paramref name="reduction"/>
    /// names: <see cref="ElboReduction.PerSample"/>, <see cref="ElboReduction.Sum"/> or <see cref="ElboReduction.None"/>.
    /// </summary>
    /// <param name="output">The model's output for <paramref name="target"/>.</param>
    /// <param name="target">The batch that was encoded.</param>
    /// <param name="reduction">How to reduce the batch; <see cref="ElboReduction.ElementMean"/> is refused.</param>
    /// <param name="beta">Weight of the KL term; 1 gives the plain ELBO.</param>
    /// <param name="freeBits">When positive, the free-bits floor of the KL in the loss; then <see cref="ElboReduction.None"/> is refused.</param>
    /// <exception cref="ArgumentException">As the other overload, or the reduction is <see cref="ElboReduction.ElementMean"/>.</exception>
    public static ElboTerms NegativeElbo(VaeOutput output, Tensor target, ElboReduction reduction, double beta = 1.0, double freeBits = 0) =>
        NegativeElbo(output, target, beta, ToLibraryReduction(reduction, nameof(reduction)), freeBits);

    /// <summary>
    /// TorchSharp's <see cref="Reduction"/> with the library's meaning of <paramref name="reduction"/>; the ELBO has no
    /// <see cref="ElboReduction.ElementMean"/>, whose two terms have different element counts.
    /// </summary>
    internal static Reduction ToLibraryReduction(ElboReduction reduction, string name) => reduction switch
    {
        ElboReduction.PerSample => Reduction.Mean,
        ElboReduction.Sum => Reduction.Sum,
        ElboReduction.None => Reduction.None,
        ElboReduction.ElementMean => throw new ArgumentException(
            "The negative ELBO adds a reconstruction term over the features and a KL term over the latent dimensions, so it has no mean over elements: use PerSample (nats per sample), Sum or None.", name),
        _ => throw new ArgumentOutOfRangeException(name, reduction, $"Not an {nameof(ElboReduction)}."),
    };

    // ElementMean is the per-sample values' mean divided by the elements of one sample of `shaped`.
    private static Tensor Reduced(ElboReduction reduction, Tensor shaped, Func<Reduction, Tensor> term)
    {
        if (reduction != ElboReduction.ElementMean) return term(ToLibraryReduction(reduction, nameof(reduction)));
        Guard.Batched(shaped, nameof(shaped));
        using var scope = NewDisposeScope();
        var perSample = term(Reduction.None);
        var elements = shaped.shape[0] == 0 ? 1 : shaped.numel() / shaped.shape[0];
        using var scalars = new ScalarScope();
        return perSample.mean().div_(scalars[elements]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The negative ELBO of a forward pass: reconstruction + beta * KL, with both parts. The likelihood is the output's
    /// <see cref="VaeOutput.Likelihood"/> (a Gaussian one with the output's
    /// <see cref="VaeOutput.ReconstructionLogVariance"/>).
    /// </summary>
    /// <param name="output">The model's output for <paramref name="target"/>.</param>
    /// <param name="target">The batch that was encoded: values in [0, 1] for Bernoulli, finite values for Gaussian.</param>
    /// <param name="beta">Weight of the KL term; 1 gives the plain ELBO.</param>
    /// <param name="reduction">How to reduce over the batch, nats per sample by default; see the remarks on <see cref="ElboLoss"/>.</param>
    /// <param name="freeBits">
    /// When positive, the loss uses <see cref="FreeBitsKl"/> with this floor instead of the KL (the reported
    /// <see cref="ElboTerms.Kl"/> stays the true KL), and <see cref="Reduction.None"/> is rejected.
    /// </param>
    /// <exception cref="ArgumentException">
    /// Shapes differ, a target is out of the likelihood's range, the output has a log-variance its likelihood does not
    /// take or lacks one it needs, beta or freeBits is negative or not finite, or free bits are asked for per sample.
    /// </exception>
    public static ElboTerms NegativeElbo(VaeOutput output, Tensor target, double beta = 1.0, Reduction reduction = Reduction.Mean, double freeBits = 0)
    {
        ArgumentNullException.ThrowIfNull(output);
        Guard.SameShape(output.DecoderOutput, "output.DecoderOutput", target, nameof(target));
        var likelihood = output.Distribution ?? DistributionRegistry.Likelihood(output.Likelihood)
            ?? throw new ArgumentException($"output.Likelihood {(int)output.Likelihood} is not a {nameof(VaeLikelihood)}.", nameof(output));
        if (likelihood.HasParameter)
        {
            var logVariance = output.ReconstructionLogVariance
                ?? throw new ArgumentException($"output.ReconstructionLogVariance is null, but a {likelihood.Name} likelihood needs the log-variance.", nameof(output));
            Guard.Broadcastable(output.DecoderOutput, "output.DecoderOutput", logVariance, "output.ReconstructionLogVariance");
        }
        else if (output.ReconstructionLogVariance is not null)
        {
            throw new ArgumentException(
                $"output.ReconstructionLogVariance is set, but output.Likelihood is {likelihood.Name}, which takes none: set {nameof(VaeOutput.Likelihood)} = {nameof(VaeLikelihood)}.{nameof(VaeLikelihood.Gaussian)} for a Gaussian output.",
                nameof(output));
        }
        likelihood.CheckData(target, nameof(target));
        Guard.Beta(beta);
        Guard.FreeBits(freeBits);
        if (freeBits > 0 && reduction == Reduction.None)
            throw new ArgumentException("Free bits floor the KL averaged over the batch, so there is no per-sample loss: use Mean or Sum.", nameof(reduction));
        return NegativeElboUnchecked(output, target, beta, reduction, freeBits);
    }

    internal static ElboTerms NegativeElboUnchecked(VaeOutput output, Tensor target, double beta, Reduction reduction, double freeBits = 0)
    {
        using var scope = NewDisposeScope();
        var likelihood = output.Distribution ?? DistributionRegistry.Likelihood(output.Likelihood)
            ?? throw new ArgumentOutOfRangeException(nameof(output), output.Likelihood, $"Not a {nameof(VaeLikelihood)}.");
        // An output built by hand has the standard normal prior.
        var prior = output.PriorDistribution ?? new StandardNormalPrior(output.Mean.dim() > 0 ? (int)output.Mean.shape[^1] : 1);
        var reconstruction = Reduce(likelihood.NegativeLogDensity(output.DecoderOutput, output.ReconstructionLogVariance, target), reduction);
        if (!prior.HasClosedFormKl && freeBits > 0)
            throw new ArgumentException("Free bits floor the closed-form KL of each latent dimension under N(0, I); a learned prior has neither.", nameof(freeBits));
        var kl = LogJoint.Kl(prior, output.Z, output.Mean, output.LogVariance, reduction);
        var penalty = freeBits > 0 ? FreeBitsKlUnchecked(output.Mean, output.LogVariance, freeBits, reduction) : kl;
        using var scalars = new ScalarScope();
        var loss = reconstruction.add(penalty, beta == 1.0 ? Scalars.One : scalars[beta]);
        return new ElboTerms(
            reconstruction.MoveToOuterDisposeScope(),
            kl.MoveToOuterDisposeScope(),
            loss.MoveToOuterDisposeScope());
    }

    internal static Tensor GaussianNllElementwise(Tensor mean, Tensor target, Tensor logVariance)
    {
        using var scope = NewDisposeScope();
        var elementwise = (target - mean).pow_(Scalars.Two).mul_((-logVariance).exp_()).add_(logVariance, Scalars.One).add_(Scalars.LogTwoPi, Scalars.One).mul_(Scalars.Half);
        return elementwise.MoveToOuterDisposeScope();
    }

    internal static Tensor FreeBitsKlUnchecked(Tensor mean, Tensor logVariance, double freeBits, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        using var scalars = new ScalarScope();
        var perDimension = KlElementwise(mean, logVariance).mean([0]);
        var floored = perDimension.clamp_min(scalars[freeBits]).sum();
        var result = reduction switch
        {
            Reduction.Mean => floored,
            Reduction.Sum => floored.mul_(scalars[mean.shape[0]]),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Free bits need Mean or Sum."),
        };
        return result.MoveToOuterDisposeScope();
    }

    internal static Tensor KlUnchecked(Tensor mean, Tensor logVariance, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        return Reduce(KlElementwise(mean, logVariance), reduction).MoveToOuterDisposeScope();
    }

    // (mean² + exp(logVariance) - logVariance - 1) / 2, with rooted scalars only (see ScalarScope).
    internal static Tensor KlElementwise(Tensor mean, Tensor logVariance) =>
        mean.pow(Scalars.Two).add_(logVariance.exp(), Scalars.One).sub_(logVariance).sub_(Scalars.One).mul_(Scalars.Half);

    internal static Tensor BceWithLogitsUnchecked(Tensor logits, Tensor target, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        var elementwise = functional.binary_cross_entropy_with_logits(logits, target, reduction: Reduction.None);
        return Reduce(elementwise, reduction).MoveToOuterDisposeScope();
    }

    /// <summary>Sums over every non-batch dimension, then reduces over the batch.</summary>
    internal static Tensor Reduce(Tensor elementwise, Reduction reduction)
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
