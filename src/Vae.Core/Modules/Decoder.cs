using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The generative network p(x|z): maps latent codes <c>[N, LatentSize]</c> to <c>[N, InputSize]</c> values that
/// parameterize the likelihood (<see cref="VaeOptions.Likelihood"/>): the logits of independent Bernoulli features,
/// or the means of independent Gaussian features. For Bernoulli apply <c>sigmoid</c> (or use
/// <see cref="VariationalAutoencoder.Decode(Tensor)"/>) for probabilities; the loss works on logits because that is
/// numerically stable. A convolutional decoder mirrors the encoder: fully connected layers, then transposed
/// convolutions that double the height and width back to the image's, flattened at the end.
/// </summary>
public sealed class Decoder : Module<Tensor, Tensor>
{
    private readonly Sequential layers;
    private readonly List<Linear> fullyConnected = [];
    // Null for an MLP, so that an MLP's state dict keeps the names of files saved before convolutions existed.
    private readonly Sequential? deconvolutions;
    // Per transposed convolution (in order), the height and width of its output: twice its input, plus one for an odd size.
    private readonly (long Height, long Width)[] outputSizes = [];
    // Not readonly: Module.to replaces parameter fields when it changes their device or dtype.
    private Parameter? logVariance;
    private readonly DataLikelihood likelihood;

    /// <summary>Creates a decoder that mirrors the encoder's layers.</summary>
    /// <param name="options">The architecture; see <see cref="VaeOptions"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid; see <see cref="VaeOptions.Validate"/>.</exception>
    public Decoder(VaeOptions options) : this(options, null)
    {
    }

    /// <summary>A decoder whose learned parameter, if any, <paramref name="likelihood"/> asks for (the options' likelihood when null).</summary>
    internal Decoder(VaeOptions options, DataLikelihood? likelihood) : base(VaeRuntime.CheckedName(nameof(Decoder)))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Encoder.RefuseCustom(options, nameof(Decoder));
        Options = options;
        this.likelihood = likelihood ?? DistributionRegistry.Likelihood(options);
        layers = Sequential();
        // A conditional decoder sees [z, c].
        var width = options.LatentSize + options.ConditionWidth;
        var index = 1;
        foreach (var size in options.HiddenSizes.Reverse())
        {
            fullyConnected.Add(Linear(width, size));
            layers.append($"fc{index}", fullyConnected[^1]);
            if (options.LayerNormalization) layers.append($"norm{index}", LayerNorm([size]));
            layers.append(Activations.Name(options.Activation, index), Activations.Module(options.Activation));
            width = size;
            index++;
        }
        if (options.Architecture == VaeArchitecture.Convolutional)
        {
            var maps = options.FeatureMapSizes();
            var channels = options.ConvChannels;
            fullyConnected.Add(Linear(width, (long)channels[^1] * maps[^1].Height * maps[^1].Width));
            layers.append($"fc{index}", fullyConnected[^1]);
            layers.append(Activations.Name(options.Activation, index), Activations.Module(options.Activation));
            deconvolutions = Sequential();
            var sizes = new List<(long, long)>();
            for (var i = channels.Count - 1; i >= 0; i--)
            {
                var outputChannels = i > 0 ? channels[i - 1] : options.ImageChannels;
                deconvolutions.append($"deconv{channels.Count - i}", ConvTranspose2d(channels[i], outputChannels, kernel_size: 4, stride: 2, padding: 1));
                sizes.Add((maps[i].Height, maps[i].Width));
            }
            outputSizes = sizes.ToArray();
        }
        else
        {
            fullyConnected.Add(Linear(width, options.InputSize));
            layers.append($"fc{index}", fullyConnected[^1]);
        }
        if (this.likelihood.CreateLearnedParameter(options.InputSize) is { } initial) logVariance = Parameter(initial);
        RegisterComponents();
    }

    /// <summary>The architecture this decoder was built with.</summary>
    public VaeOptions Options { get; }

    /// <summary>
    /// The fully connected layers, latent side first, each followed by the activation (after a layer norm for the
    /// hidden ones with <see cref="VaeOptions.LayerNormalization"/>) except an MLP's last, which gives the decoder's output.
    /// </summary>
    internal IReadOnlyList<Linear> FullyConnectedLayers => fullyConnected;

    /// <summary>
    /// The transposed convolutions of a convolutional decoder, latent side first (each but the last followed by the
    /// activation), computed unpadded and cropped by one row and column at the start; empty for an MLP.
    /// </summary>
    internal IReadOnlyList<ConvTranspose2d> Deconvolutions => deconvolutions is null ? [] : deconvolutions.children().OfType<ConvTranspose2d>().ToArray();

    /// <summary>
    /// The learned log-variance of each feature, shape <c>[InputSize]</c>, when the likelihood is Gaussian with
    /// <see cref="VaeOptions.LearnGaussianVariance"/>; otherwise null.
    /// </summary>
    public Parameter? LogVariance => logVariance;

    /// <summary>Computes the logits (Bernoulli) or means (Gaussian) of p(x|z).</summary>
    /// <param name="latent">Latent codes of shape <c>[N, LatentSize]</c>; for a conditional model each followed by its condition.</param>
    /// <returns>Shape <c>[N, InputSize]</c>.</returns>
    /// <exception cref="ArgumentException">The codes are not two-dimensional or have the wrong size.</exception>
    public override Tensor forward(Tensor latent)
    {
        Guard.Features(latent, Options.LatentSize + Options.ConditionWidth, nameof(latent));
        if (deconvolutions is null) return layers.forward(latent);
        using var scope = NewDisposeScope();
        var (height, width) = Options.FeatureMapSizes()[^1];
        var maps = layers.forward(latent).reshape(latent.shape[0], Options.ConvChannels[^1], height, width);
        // Each layer is a transposed convolution with kernel 4, stride 2 and padding 1 (plus output padding for an odd
        // size), computed as the unpadded one, which is 2 larger, cropped by one row and column at the start. That is the
        // same arithmetic, but libtorch's padded path (2.10, CPU) sometimes left NaN in its output, and TorchSharp's
        // ConvTranspose2d.forward gave 7 x 7 for a 7 x 5 target.
        var index = 0;
        foreach (var module in deconvolutions.children())
        {
            var deconvolution = (ConvTranspose2d)module;
            var (outputHeight, outputWidth) = outputSizes[index];
            maps = functional.conv_transpose2d(maps, deconvolution.weight!, deconvolution.bias, strides: [2, 2])
                .narrow(2, 1, outputHeight).narrow(3, 1, outputWidth);
            if (++index < outputSizes.Length) maps = Activations.Apply(Options.Activation, maps);
        }
        return maps.flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The log-variance of the Gaussian likelihood as a new tensor handle, broadcastable to <c>[N, InputSize]</c>
    /// (the learned <c>[InputSize]</c> parameter, through which gradients flow, or a fixed scalar); null for a likelihood
    /// without a variance parameter.
    /// </summary>
    internal Tensor? OutputLogVariance(ScalarType dtype, Device device) =>
        logVariance is not null ? logVariance.view(-1) : likelihood.FixedParameter(dtype, device);
}
