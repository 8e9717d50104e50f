namespace Vae.Core.Recommendation;

/// <summary>
/// The architecture of a <see cref="RecVae"/>. The defaults are those of RecVAE's reference code
/// (github.com/ilya-shenbin/RecVAE, model.py): five dense hidden layers of 600 units, each fed the sum of the
/// earlier layers' outputs, swish and layer normalisation (eps 0.1); a latent code of 200; dropout 0.5 on the
/// L2-normalised input; the composite prior of N(0, I) (weight 3/20), the previous epoch's posterior (3/4) and
/// N(0, e^10 I) (1/10).
/// </summary>
public sealed record RecVaeOptions
{
    /// <summary>The units of each of the encoder's five hidden layers. Default 600.</summary>
    /// <value>Defaults to <c>600</c>.</value>
    public int HiddenSize { get; init; } = 600;

    /// <summary>The dimension of the latent code z. Default 200.</summary>
    /// <value>Defaults to <c>200</c>.</value>
    public int LatentSize { get; init; } = 200;

    /// <summary>The probability that a click is dropped from the encoder's input in the encoder passes. Default 0.5.</summary>
    /// <value>Defaults to <c>0.5</c>.</value>
    public double InputDropout { get; init; } = 0.5;

    /// <summary>The epsilon of the encoder's layer normalisations. Default 0.1.</summary>
    /// <value>Defaults to <c>0.1</c>.</value>
    public double LayerNormEpsilon { get; init; } = 0.1;

    /// <summary>The composite prior's weight of N(0, I). Default 3/20.</summary>
    /// <value>Defaults to <c>3.0 / 20</c>.</value>
    public double StandardPriorWeight { get; init; } = 3.0 / 20;

    /// <summary>The composite prior's weight of the previous epoch's posterior q(z|x). Default 3/4.</summary>
    /// <value>Defaults to <c>3.0 / 4</c>.</value>
    public double PosteriorPriorWeight { get; init; } = 3.0 / 4;

    /// <summary>The composite prior's weight of the wide Gaussian N(0, e^<see cref="WidePriorLogVariance"/> I). Default 1/10.</summary>
    /// <value>Defaults to <c>1.0 / 10</c>.</value>
    public double WidePriorWeight { get; init; } = 1.0 / 10;

    /// <summary>The log-variance of the composite prior's wide Gaussian. Default 10.</summary>
    /// <value>Defaults to <c>10</c>.</value>
    public double WidePriorLogVariance { get; init; } = 10;

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HiddenSize, nameof(HiddenSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LatentSize, nameof(LatentSize));
        if (!(InputDropout >= 0 && InputDropout < 1))
            throw new ArgumentOutOfRangeException(nameof(InputDropout), InputDropout, "The input dropout must lie in [0, 1).");
        if (!(LayerNormEpsilon > 0) || !double.IsFinite(LayerNormEpsilon))
            throw new ArgumentOutOfRangeException(nameof(LayerNormEpsilon), LayerNormEpsilon, "The layer-norm epsilon must be positive and finite.");
        foreach (var (name, weight) in new[] { (nameof(StandardPriorWeight), StandardPriorWeight), (nameof(PosteriorPriorWeight), PosteriorPriorWeight), (nameof(WidePriorWeight), WidePriorWeight) })
        {
            if (!(weight > 0) || !double.IsFinite(weight))
                throw new ArgumentOutOfRangeException(name, weight, "A mixture weight of the composite prior must be positive and finite.");
        }
        if (!double.IsFinite(WidePriorLogVariance))
            throw new ArgumentOutOfRangeException(nameof(WidePriorLogVariance), WidePriorLogVariance, "The wide prior's log-variance must be finite.");
    }
}
