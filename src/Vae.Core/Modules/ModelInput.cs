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

    /// <summary>
    /// <paramref name="input"/> as <see cref="Flat"/> gives it, converted to the model's floating dtype and device when it
    /// has another (float64 rows for a float32 model, say): the one rule of every entry point. Integer and bool tensors
    /// are refused with an <see cref="ArgumentException"/> naming their dtype.
    /// </summary>
    public static Tensor ForModel(Tensor input, VariationalAutoencoder model, string name)
    {
        input = Flat(input, model.Options, name);
        return Converted(input, model, name);
    }

    /// <summary>A floating tensor in the model's dtype and on its device (itself when it already is); integer and bool tensors are refused.</summary>
    public static Tensor Converted(Tensor input, VariationalAutoencoder model, string name)
    {
        Guard.NotNull(input, name);
        if (!input.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor (it is converted to the model's {model.DType}), but has dtype {input.dtype}.", name);
        var device = model.Device;
        return input.dtype == model.DType && input.device == device ? input : input.to(model.DType, device);
    }
}
