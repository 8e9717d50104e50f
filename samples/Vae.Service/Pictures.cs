using Vae.Core;
using Vae.Samples.Rendering;
using static TorchSharp.torch;

namespace Vae.Service;

/// <summary>The model's outputs as PNGs, through the grid code the MNIST sample draws with.</summary>
internal static class Pictures
{
    /// <summary>The height and width of one image of the model's features.</summary>
    /// <exception cref="BadInputException">The features are not one grayscale image.</exception>
    public static (int Height, int Width) ImageShape(VaeOptions options)
    {
        if (options.Architecture == VaeArchitecture.Convolutional && options.ImageChannels == 1) return (options.ImageHeight, options.ImageWidth);
        var side = (int)Math.Round(Math.Sqrt(options.InputSize));
        if (options.Architecture != VaeArchitecture.Convolutional && side * side == options.InputSize) return (side, side);
        throw new BadInputException($"The {options} model's {options.InputSize} features are not a square grayscale image, so it draws no pictures.");
    }

    public static byte[] Grid(Tensor images, VaeOptions options, int columns, int scale)
    {
        var (height, width) = ImageShape(options);
        var pixels = images.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        return ImageGrid.EncodePng(pixels, height, width, columns, new ImageGridOptions { Scale = scale, Gap = scale == 1 ? 1 : 2 });
    }
}
