namespace Vae.Core;

/// <summary>
/// The architecture of a <see cref="VariationalAutoencoder"/>: how wide the data is, the hidden layers of the
/// encoder (the decoder mirrors them) and the size of the latent code. The defaults are the 784-400-20 model of
/// Kingma and Welling's MNIST experiments and of pytorch/examples.
/// </summary>
public sealed record VaeOptions
{
    /// <summary>Number of features of one sample (784 for 28 x 28 images).</summary>
    public int InputSize { get; init; } = 784;

    /// <summary>Widths of the encoder's hidden layers, input side first; the decoder uses them in reverse.</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [400];

    /// <summary>Dimension of the latent code z.</summary>
    public int LatentSize { get; init; } = 20;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first size that is not positive.</summary>
    /// <exception cref="ArgumentException">A size is zero or negative, or <see cref="HiddenSizes"/> is null.</exception>
    public void Validate()
    {
        if (InputSize <= 0)
            throw new ArgumentException($"{nameof(InputSize)} must be positive, but was {InputSize}.", nameof(InputSize));
        if (LatentSize <= 0)
            throw new ArgumentException($"{nameof(LatentSize)} must be positive, but was {LatentSize}.", nameof(LatentSize));
        if (HiddenSizes is null)
            throw new ArgumentException($"{nameof(HiddenSizes)} must not be null (use an empty list for no hidden layer).", nameof(HiddenSizes));
        for (var i = 0; i < HiddenSizes.Count; i++)
        {
            if (HiddenSizes[i] <= 0)
                throw new ArgumentException($"{nameof(HiddenSizes)}[{i}] must be positive, but was {HiddenSizes[i]}.", nameof(HiddenSizes));
        }
    }

    /// <summary>Value equality that compares <see cref="HiddenSizes"/> element by element.</summary>
    public bool Equals(VaeOptions? other) =>
        other is not null && InputSize == other.InputSize && LatentSize == other.LatentSize
        && HiddenSizes.SequenceEqual(other.HiddenSizes);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(InputSize);
        hash.Add(LatentSize);
        foreach (var size in HiddenSizes) hash.Add(size);
        return hash.ToHashCode();
    }

    /// <summary>A compact description such as <c>784-400-20</c>.</summary>
    public override string ToString() => string.Join('-', new[] { InputSize }.Concat(HiddenSizes).Append(LatentSize));
}
