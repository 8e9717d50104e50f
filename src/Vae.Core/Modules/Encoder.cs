using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The inference network q(z|x): maps a batch <c>[N, InputSize]</c> to the mean and log-variance
/// (each <c>[N, LatentSize]</c>) of a diagonal Gaussian over the latent code. An MLP, or for
/// <see cref="VaeArchitecture.Convolutional"/> strided convolutions on the batch seen as images, followed by the
/// fully connected hidden layers.
/// </summary>
public sealed class Encoder : Module<Tensor, (Tensor Mean, Tensor LogVariance)>
{
    // Null without input dropout; it has no parameters, so the state dict is the same either way.
    private readonly Dropout? inputDropout;
    // Null for an MLP, so that an MLP's state dict keeps the names of files saved before convolutions existed.
    private readonly Sequential? convolutions;
    private readonly Sequential hidden;
    private readonly Linear[] hiddenLayers;
    private readonly Linear mean;
    private readonly Linear logVar;
    // Open inference scopes on this thread (VariationalAutoencoder.Inference): dropout is off while any is open,
    // whatever the shared training flag says, so that inference never has to flip that flag.
    [ThreadStatic] private static int inferenceDepth;

    /// <summary>Creates an encoder with freshly initialized weights (PyTorch's default initialization).</summary>
    /// <param name="options">The architecture; see <see cref="VaeOptions"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid; see <see cref="VaeOptions.Validate"/>.</exception>
    public Encoder(VaeOptions options) : base(VaeRuntime.CheckedName(nameof(Encoder)))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        RefuseCustom(options, nameof(Encoder));
        Options = options;
        if (options.InputDropout > 0) inputDropout = Dropout(options.InputDropout);
        var width = options.InputSize;
        if (options.Architecture == VaeArchitecture.Convolutional)
        {
            convolutions = Sequential();
            var channels = options.ImageChannels;
            for (var i = 0; i < options.ConvChannels.Count; i++)
            {
                convolutions.append($"conv{i + 1}", Conv2d(channels, options.ConvChannels[i], kernel_size: 4, stride: 2, padding: 1));
                convolutions.append(Activations.Name(options.Activation, i + 1), Activations.Module(options.Activation));
                channels = options.ConvChannels[i];
            }
            var (height, mapWidth) = options.FeatureMapSizes()[^1];
            width = channels * height * mapWidth + options.ConditionWidth;
        }
        else
        {
            // A conditional model's rows carry the condition after the features, so the first layer sees [x, c].
            width = options.RowWidth;
        }
        hidden = Sequential();
        hiddenLayers = new Linear[options.HiddenSizes.Count];
        for (var i = 0; i < options.HiddenSizes.Count; i++)
        {
            hiddenLayers[i] = Linear(width, options.HiddenSizes[i]);
            hidden.append($"fc{i + 1}", hiddenLayers[i]);
            if (options.LayerNormalization) hidden.append($"norm{i + 1}", LayerNorm([options.HiddenSizes[i]]));
            hidden.append(Activations.Name(options.Activation, i + 1), Activations.Module(options.Activation));
            if (options.HiddenDropout > 0) hidden.append($"dropout{i + 1}", Dropout(options.HiddenDropout));
            width = options.HiddenSizes[i];
        }
        mean = Linear(width, options.LatentSize);
        logVar = Linear(width, options.LatentSize);
        RegisterComponents();
    }

    /// <summary>The architecture this encoder was built with.</summary>
    public VaeOptions Options { get; }

    /// <summary>
    /// The fully connected hidden layers, input side first; each is followed by the activation (after a layer norm
    /// with <see cref="VaeOptions.LayerNormalization"/>, and before a dropout with <see cref="VaeOptions.HiddenDropout"/>).
    /// </summary>
    internal IReadOnlyList<Linear> HiddenLayers => hiddenLayers;

    /// <summary>The strided convolutions of a convolutional encoder, input side first (each followed by the activation); empty for an MLP.</summary>
    internal IReadOnlyList<Conv2d> Convolutions => convolutions is null ? [] : convolutions.children().OfType<Conv2d>().ToArray();

    /// <summary>The layer that maps the last hidden activation (or the input) to the posterior means.</summary>
    internal Linear MeanHead => mean;

    /// <summary>The layer that maps the last hidden activation (or the input) to the posterior log-variances.</summary>
    internal Linear LogVarianceHead => logVar;

    /// <summary>Computes the parameters of q(z|x).</summary>
    /// <param name="input">
    /// A batch of shape <c>[N, InputSize]</c> (images flattened channel by channel, row by row); a convolutional
    /// encoder also takes the images, <c>[N, C, H, W]</c>. For a conditional model each row is followed by its condition,
    /// <c>[N, InputSize + condition width]</c>.
    /// </param>
    /// <exception cref="ArgumentException">The input has the wrong rank or feature count.</exception>
    public override (Tensor Mean, Tensor LogVariance) forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        input = ModelInput.Flat(input, Options, nameof(input));
        var conditional = Options.ConditionWidth > 0;
        // Dropout hides features, never the condition the model is told.
        var features = conditional ? input.narrow(1, 0, Options.InputSize) : input;
        // Dropout only while training and outside inference; called with that decision rather than through the modules,
        // which would read the shared training flag.
        var dropping = training && inferenceDepth == 0;
        if (inputDropout is not null) features = functional.dropout(features, Options.InputDropout, dropping);
        if (convolutions is not null)
        {
            var images = features.reshape(features.shape[0], Options.ImageChannels, Options.ImageHeight, Options.ImageWidth);
            features = convolutions.forward(images).flatten(1);
        }
        if (conditional) features = cat([features, input.narrow(1, Options.InputSize, Options.ConditionWidth)], 1);
        var h = features;
        foreach (var layer in hidden.children())
            h = layer is Dropout ? functional.dropout(h, Options.HiddenDropout, dropping) : ((Module<Tensor, Tensor>)layer).forward(h);
        return (mean.forward(h).MoveToOuterDisposeScope(), logVar.forward(h).MoveToOuterDisposeScope());
    }

    internal static void EnterInference() => inferenceDepth++;

    internal static void ExitInference() => inferenceDepth--;

    /// <summary>Throws when <paramref name="options"/> describe networks of the caller's own, which no built-in module builds.</summary>
    internal static void RefuseCustom(VaeOptions options, string module)
    {
        if (options.Architecture == VaeArchitecture.Custom)
            throw new ArgumentException(
                $"The {nameof(VaeArchitecture.Custom)} architecture has no built-in {module}: pass your own encoder and decoder to " +
                $"new {nameof(VariationalAutoencoder)}(encoder, decoder, options).", nameof(options));
    }
}
