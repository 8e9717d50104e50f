using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The image grids a <see cref="TensorBoardCallback"/> writes: reconstructions of fixed inputs and decodings of fixed
/// prior samples, each epoch, so that TensorBoard's slider shows them improve.
/// </summary>
/// <remarks>
/// TorchSharp encodes the PNGs through SkiaSharp, whose native library the app must carry (the package
/// <c>SkiaSharp.NativeAssets.Linux.NoDependencies</c>, <c>SkiaSharp.NativeAssets.Win32</c> or
/// <c>SkiaSharp.NativeAssets.macOS</c>, 2.88.x); without it the callback's constructor says so. Scalars need nothing
/// of the kind. Pixel values are clipped to [0, 1]: the decoded means of a Bernoulli model are probabilities already,
/// those of a Gaussian model show as they are, clipped.
/// </remarks>
public sealed record TensorBoardImages
{
    /// <summary>Channels of one image; the model's <c>InputSize</c> must be Channels x Height x Width. 1 by default.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Height of one image in pixels; 28 by default (MNIST).</summary>
    public int Height { get; init; } = 28;

    /// <summary>Width of one image in pixels; 28 by default (MNIST).</summary>
    public int Width { get; init; } = 28;

    /// <summary>
    /// Inputs <c>[N, InputSize]</c> whose reconstructions (the decoded posterior means) are drawn every epoch as
    /// <c>images/reconstructions</c>, after the inputs themselves once as <c>images/inputs</c>; null for none. The
    /// callback keeps a copy, so the caller may dispose the tensor.
    /// </summary>
    public Tensor? Inputs { get; init; }

    /// <summary>
    /// When <see cref="Inputs"/> is null, how many of the first rows of the validation data given to <c>Fit</c> are
    /// reconstructed instead (all of them if there are fewer); 32 by default, 0 for none. Without validation data there
    /// are no reconstructions then.
    /// </summary>
    public int ValidationInputs { get; init; } = 32;

    /// <summary>How many fixed draws from the prior are decoded every epoch as <c>images/samples</c>; 64 by default, 0 for none.</summary>
    public int Samples { get; init; } = 64;

    /// <summary>The seed of those fixed draws; 0 by default.</summary>
    public long Seed { get; init; }

    /// <summary>Write the grids every this many epochs (and on none in between); 1 by default.</summary>
    public int EveryEpochs { get; init; } = 1;
}
