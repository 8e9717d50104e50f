using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>The shapes a model takes its data in: <c>[N, InputSize]</c>, and for a convolutional model <c>[N, C, H, W]</c> too.</summary>
internal static class ModelInput
{
    /// <summary>
    /// <paramref name="input"/> as <c>[N, InputSize]</c>: itself when flat, a view when it is a convolutional model's
    /// images; a conditional model's rows <c>[N, InputSize + condition width]</c> as they are. Throws an <see cref="ArgumentException"/> naming the shapes otherwise.
    /// </summary>
    public static Tensor Flat(Tensor input, VaeOptions options, string name)
    {
        Guard.NotNull(input, name);
        // A conditional model's rows carry the condition after the features, which images have no room for.
        if (options.ConditionWidth > 0)
        {
            Guard.Features(input, options.RowWidth, name);
            return input;
        }
        if (options.Architecture == VaeArchitecture.Convolutional && (input.dim() != 2 || input.shape[1] != options.InputSize))
        {
            var image = $"[N, {options.ImageChannels}, {options.ImageHeight}, {options.ImageWidth}]";
            if (input.dim() != 4 || input.shape[1] != options.ImageChannels || input.shape[2] != options.ImageHeight || input.shape[3] != options.ImageWidth)
                throw new ArgumentException(
                    $"{name} must have shape [N, {options.InputSize}] or, as images, {image}, but has shape {Guard.Shape(input)}.", name);
            input = input.reshape(input.shape[0], options.InputSize);
        }
        Guard.Features(input, options.InputSize, name);
        return input;
    }
}
