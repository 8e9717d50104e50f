using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>Walks in a straight line through latent space and decodes each step: the classic VAE morphing picture.</summary>
public static class LatentInterpolation
{
    /// <summary>
    /// Encodes two inputs to their posterior means, interpolates linearly between them in <paramref name="steps"/>
    /// equal steps (both ends included) and decodes each point.
    /// </summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="from">The first input, shape <c>[InputSize]</c> or <c>[1, InputSize]</c>.</param>
    /// <param name="to">The last input, the same shape.</param>
    /// <param name="steps">The number of points, at least 2.</param>
    /// <returns>Decoded means <c>[steps, InputSize]</c> (pixel probabilities for Bernoulli); the first row is the reconstruction of <paramref name="from"/>, the last of <paramref name="to"/>.</returns>
    /// <exception cref="ArgumentException">An input has the wrong shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 2.</exception>
    public static Tensor BetweenInputs(VariationalAutoencoder model, Tensor from, Tensor to, int steps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        using var scope = NewDisposeScope();
        var start = model.Encode(AsRow(from, model.Options.InputSize, nameof(from)));
        var end = model.Encode(AsRow(to, model.Options.InputSize, nameof(to)));
        return Decode(model, start, end, steps).MoveToOuterDisposeScope();
    }

    /// <summary>Interpolates linearly between two latent codes in <paramref name="steps"/> equal steps and decodes each point.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="from">The first code, shape <c>[LatentSize]</c> or <c>[1, LatentSize]</c>.</param>
    /// <param name="to">The last code, the same shape.</param>
    /// <param name="steps">The number of points, at least 2.</param>
    /// <returns>Decoded means <c>[steps, InputSize]</c> (pixel probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A code has the wrong shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 2.</exception>
    public static Tensor BetweenCodes(VariationalAutoencoder model, Tensor from, Tensor to, int steps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        using var scope = NewDisposeScope();
        var start = AsRow(from, model.Options.LatentSize, nameof(from));
        var end = AsRow(to, model.Options.LatentSize, nameof(to));
        return Decode(model, start, end, steps).MoveToOuterDisposeScope();
    }

    /// <summary>The codes at fractions 0, 1/(steps-1), ..., 1 of the way from start to end, shape <c>[steps, LatentSize]</c>.</summary>
    internal static Tensor Codes(Tensor start, Tensor end, int steps)
    {
        using var scope = NewDisposeScope();
        var weights = linspace(0, 1, steps, dtype: start.dtype, device: start.device).unsqueeze(1);
        // lerp is exact at both ends, so the first and last rows equal the two codes bit for bit.
        return start.lerp(end, weights).MoveToOuterDisposeScope();
    }

    private static Tensor Decode(VariationalAutoencoder model, Tensor start, Tensor end, int steps)
    {
        using var scope = NewDisposeScope();
        return model.Decode(Codes(start, end, steps)).MoveToOuterDisposeScope();
    }

    private static Tensor AsRow(Tensor tensor, long size, string name)
    {
        Guard.NotNull(tensor, name);
        var ok = (tensor.dim() == 1 && tensor.shape[0] == size) || (tensor.dim() == 2 && tensor.shape[0] == 1 && tensor.shape[1] == size);
        if (!ok)
            throw new ArgumentException($"{name} must have shape [{size}] or [1, {size}], but has shape {Guard.Shape(tensor)}.", name);
        return tensor.reshape(1, size);
    }
}
