using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// A prior p(z) over the latent codes: its log-density, sampling, the KL from a diagonal Gaussian posterior (in closed
/// form where it exists) and its parameters. The built-in ones come from <see cref="VaeOptions.Prior"/>; a type of your
/// own goes to <see cref="VariationalAutoencoder(VaeOptions, DataLikelihood, LatentPrior?)"/> and, to be saved and
/// loaded, is registered with <see cref="VaeDistributions.RegisterPrior"/>.
/// </summary>
public abstract class LatentPrior
{
    /// <summary>The name the model file records for this prior, and under which it is registered.</summary>
    public abstract string Name { get; }

    /// <summary>log p(z) for codes <c>[..., LatentSize]</c>, shape <c>[...]</c>, differentiable in z and the prior's parameters.</summary>
    /// <param name="z">Latent codes.</param>
    public abstract Tensor LogDensity(Tensor z);

    /// <summary>Draws codes from the prior, without gradient.</summary>
    /// <param name="count">How many codes.</param>
    /// <param name="device">Where the model lives.</param>
    /// <param name="generator">Source of the randomness; the global generator when null.</param>
    /// <returns>Codes <c>[count, LatentSize]</c>.</returns>
    public abstract Tensor Sample(int count, Device device, Generator? generator);

    /// <summary>True when <see cref="KlPerDimension"/> gives the KL in closed form.</summary>
    public virtual bool HasClosedFormKl => false;

    /// <summary>
    /// KL(N(mean, exp(logVariance)) || p(z)) of each row and latent dimension, <c>[N, LatentSize]</c>, when it has a
    /// closed form that splits over the dimensions; null (the default) otherwise, when the loss uses
    /// <see cref="KlEstimate"/>.
    /// </summary>
    /// <param name="mean">Posterior means <c>[N, LatentSize]</c>.</param>
    /// <param name="logVariance">Posterior log-variances, the same shape.</param>
    public virtual Tensor? KlPerDimension(Tensor mean, Tensor logVariance) => null;

    /// <summary>
    /// The one-sample estimate of KL(q(z|x) || p(z)) at codes <paramref name="z"/> drawn from q: <c>log q(z|x) - log p(z)</c>
    /// per row, shape <c>[N]</c>.
    /// </summary>
    /// <param name="z">Codes <c>[N, LatentSize]</c>.</param>
    /// <param name="mean">Posterior means, the same shape.</param>
    /// <param name="logVariance">Posterior log-variances, the same shape.</param>
    public Tensor KlEstimate(Tensor z, Tensor mean, Tensor logVariance)
    {
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(logVariance);
        using var scope = NewDisposeScope();
        return LogJoint.PosteriorLogDensity(z, mean, logVariance).sub(LogDensity(z)).MoveToOuterDisposeScope();
    }

    /// <summary>The module that holds the prior's learned parameters, registered in the model as <c>prior</c>; null (the default) when it has none.</summary>
    public virtual nn.Module? Parameters => null;

    /// <summary>The option this prior implements when it is a built-in one; null for a type of your own.</summary>
    internal virtual VaePrior? BuiltIn => null;

    /// <inheritdoc />
    public override string ToString() => Name;
}
