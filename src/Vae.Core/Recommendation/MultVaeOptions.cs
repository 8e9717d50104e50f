namespace Vae.Core.Recommendation;

/// <summary>
/// The architecture of a <see cref="MultVae"/>. The defaults are the recipe of Liang et al. (WWW 2018) and of their
/// code (github.com/dawenl/vae_cf): an I-600-200 encoder with a mirrored 200-600-I decoder, tanh hidden layers and
/// dropout 0.5 on the normalised input.
/// </summary>
public sealed record MultVaeOptions
{
    /// <summary>The hidden layer sizes of the encoder, from the input side; the decoder uses them in reverse. Default [600].</summary>
    /// <value>Defaults to <c>[600]</c>.</value>
    public IReadOnlyList<int> HiddenSizes { get; init => field = ValueList<int>.Of(value); } = ValueList<int>.Of([600]);

    /// <summary>The dimension of the latent code z. Default 200.</summary>
    /// <value>Defaults to <c>200</c>.</value>
    public int LatentSize { get; init; } = 200;

    /// <summary>The probability that a click is dropped from the encoder's input while training (the reference's keep_prob 0.5). Default 0.5.</summary>
    /// <value>Defaults to <c>0.5</c>.</value>
    public double InputDropout { get; init; } = 0.5;

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(HiddenSizes, nameof(HiddenSizes));
        for (var i = 0; i < HiddenSizes.Count; i++)
        {
            if (HiddenSizes[i] <= 0)
                throw new ArgumentOutOfRangeException(nameof(HiddenSizes), HiddenSizes[i], $"Hidden layer {i} has {HiddenSizes[i]} units; every layer needs at least one.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LatentSize, nameof(LatentSize));
        if (!(InputDropout >= 0 && InputDropout < 1))
            throw new ArgumentOutOfRangeException(nameof(InputDropout), InputDropout, "The input dropout must lie in [0, 1).");
    }
}
