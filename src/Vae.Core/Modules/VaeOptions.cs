using System.Globalization;

namespace Vae.Core;

/// <summary>
/// The architecture of a <see cref="VariationalAutoencoder"/>: how wide the data is, the encoder's layers (the decoder
/// mirrors them), the size of the latent code and the likelihood p(x|z). The defaults are the 784-400-20 MLP with
/// Bernoulli pixels of Kingma and Welling's MNIST experiments and of pytorch/examples.
/// </summary>
/// <remarks>
/// Data always leaves the model flattened, <c>[N, InputSize]</c>, and enters it so (a convolutional model also takes
/// <c>[N, C, H, W]</c>); a convolutional model reshapes it to images internally, so trainers, data sets and evaluation
/// code need not know the architecture. Every property has a default, so architecture JSON written before a property
/// existed still describes the same model. Binding from <c>IConfiguration</c> gives the lists the configuration names,
/// not the defaults followed by them; an empty list cannot be given there (the JSON configuration provider stores
/// <c>[]</c> as an empty string, which is no list), so a model without hidden layers is described in code or model JSON.
/// </remarks>
/// <example>
/// <code>
/// var conv = new VaeOptions { Architecture = VaeArchitecture.Convolutional };      // 1 x 28 x 28, 32 and 64 channels
/// var tabular = new VaeOptions { InputSize = 8, HiddenSizes = [32], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian };
/// </code>
/// </example>
public sealed record VaeOptions
{
    private const int DefaultInputSize = 784;
    private static readonly IReadOnlyList<int> DefaultHiddenSizes = Array.AsReadOnly([400]);
    private static readonly IReadOnlyList<int> DefaultConvChannels = Array.AsReadOnly([32, 64]);

    // Null until set to a value other than the one it has: then a convolutional model's InputSize follows its image.
    private readonly int? inputSize;

    /// <summary>
    /// Options with the defaults, or with <paramref name="HiddenSizes"/> and <paramref name="ConvChannels"/> as given.
    /// Write <c>new VaeOptions { HiddenSizes = [32, 16] }</c> in code; the parameters are here for configuration
    /// binders and JSON readers, which would otherwise append the listed sizes to the default lists instead of
    /// replacing them (<c>Get&lt;VaeOptions&gt;()</c> with <c>"HiddenSizes": [32, 16]</c> gave 784-400-32-16-20).
    /// Without a parameterless constructor the options pattern (<c>IOptions&lt;VaeOptions&gt;</c>) cannot create the
    /// options: bind them with <c>configuration.GetSection("Vae").Get&lt;VaeOptions&gt;()</c> and register the result.
    /// </summary>
    /// <param name="HiddenSizes">The encoder's hidden widths; the default <c>[400]</c> when null.</param>
    /// <param name="ConvChannels">The convolutions' channels; the default <c>[32, 64]</c> when null.</param>
    // PascalCase so that binders match each parameter to its property (they compare the names exactly).
#pragma warning disable IDE1006
    public VaeOptions(IReadOnlyList<int>? HiddenSizes = null, IReadOnlyList<int>? ConvChannels = null)
#pragma warning restore IDE1006
    {
        this.HiddenSizes = HiddenSizes ?? DefaultHiddenSizes;
        this.ConvChannels = ConvChannels ?? DefaultConvChannels;
    }

    /// <summary>
    /// Number of features of one sample (784 for 28 x 28 images). A convolutional model's follows from its image,
    /// <see cref="ImageChannels"/> x <see cref="ImageHeight"/> x <see cref="ImageWidth"/>, unless set to another value,
    /// which <see cref="Validate"/> then refuses.
    /// </summary>
    /// <value>Defaults to <c>784</c>, or the image's size for a convolutional model.</value>
    public int InputSize
    {
        get => inputSize ?? DerivedInputSize;
        // Setting the value it has changes nothing, so a binder or JSON reader that writes back every property does not
        // pin a convolutional model's size before it has read the image size.
        init => inputSize = value == DerivedInputSize && inputSize is null ? null : value;
    }

    /// <summary>
    /// Widths of the encoder's fully connected hidden layers, input side first; the decoder uses them in reverse.
    /// In a convolutional model they sit between the flattened convolution output and the latent code.
    /// </summary>
    /// <value>Defaults to <c>[400]</c>.</value>
    public IReadOnlyList<int> HiddenSizes { get; init; }

    /// <summary>Dimension of the latent code z.</summary>
    /// <value>Defaults to <c>20</c>.</value>
    public int LatentSize { get; init; } = 20;

    /// <summary>
    /// Fully connected (the default) or convolutional encoder and decoder, or <see cref="VaeArchitecture.Custom"/> for
    /// networks of the caller's own.
    /// </summary>
    /// <value>Defaults to <see cref="VaeArchitecture.Mlp"/>.</value>
    public VaeArchitecture Architecture { get; init; } = VaeArchitecture.Mlp;

    /// <summary>Channels of an input image (1 for grey levels); used by <see cref="VaeArchitecture.Convolutional"/>.</summary>
    /// <value>Defaults to <c>1</c>.</value>
    public int ImageChannels { get; init; } = 1;

    /// <summary>Height of an input image in pixels; used by <see cref="VaeArchitecture.Convolutional"/>.</summary>
    /// <value>Defaults to <c>28</c>.</value>
    public int ImageHeight { get; init; } = 28;

    /// <summary>Width of an input image in pixels; used by <see cref="VaeArchitecture.Convolutional"/>.</summary>
    /// <value>Defaults to <c>28</c>.</value>
    public int ImageWidth { get; init; } = 28;

    /// <summary>
    /// Output channels of the encoder's convolutions, input side first (kernel 4, stride 2, padding 1, ReLU: each
    /// halves the height and width, rounding down); the decoder's transposed convolutions use them in reverse.
    /// Used by <see cref="VaeArchitecture.Convolutional"/>.
    /// </summary>
    /// <value>Defaults to <c>[32, 64]</c>.</value>
    public IReadOnlyList<int> ConvChannels { get; init; }

    /// <summary>The distribution of the data given z: Bernoulli (the default, data in [0, 1]) or Gaussian (real-valued data).</summary>
    /// <value>Defaults to <see cref="VaeLikelihood.Bernoulli"/>.</value>
    public VaeLikelihood Likelihood { get; init; } = VaeLikelihood.Bernoulli;

    /// <summary>
    /// The variance of every feature under a <see cref="VaeLikelihood.Gaussian"/> likelihood; with
    /// <see cref="LearnGaussianVariance"/> the starting value of the learned variances.
    /// </summary>
    /// <value>Defaults to <c>1.0</c>.</value>
    public double GaussianVariance { get; init; } = 1.0;

    /// <summary>Learn one log-variance per feature for a <see cref="VaeLikelihood.Gaussian"/> likelihood instead of fixing it.</summary>
    /// <value>Defaults to false.</value>
    public bool LearnGaussianVariance { get; init; }

    /// <summary>
    /// A conditional VAE (Sohn, Lee and Yan, 2015) on class labels: the number of classes, each label given as a one-hot
    /// vector of this width; 0 (the default) for an unconditional model. The encoder sees <c>[x, c]</c> and the decoder
    /// <c>[z, c]</c>, and data rows carry the condition after the features (see <see cref="ConditionalData"/>).
    /// At most one of this and <see cref="ConditionSize"/> is set.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public int ConditionClasses { get; init; }

    /// <summary>
    /// A conditional VAE on a real-valued condition of this width, which data rows carry after their features; 0 (the
    /// default) for none. See <see cref="ConditionClasses"/> for labels.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public int ConditionSize { get; init; }

    /// <summary>
    /// The prior p(z): the standard normal (the default) or the learned VampPrior (<see cref="VaePrior.Vamp"/>, not with a
    /// condition), whose KL term is estimated from the sampled z.
    /// </summary>
    /// <value>Defaults to <see cref="VaePrior.Standard"/>.</value>
    public VaePrior Prior { get; init; } = VaePrior.Standard;

    /// <summary>The number K of learned pseudo-inputs of a <see cref="VaePrior.Vamp"/> prior (500 in Tomczak and Welling's MNIST runs).</summary>
    /// <value>Defaults to <c>500</c>.</value>
    public int PseudoInputs { get; init; } = 500;

    /// <summary>The width of the condition, 0 for an unconditional model.</summary>
    internal int ConditionWidth => ConditionClasses > 0 ? ConditionClasses : ConditionSize;

    /// <summary>The width of a data row: the features followed by the condition.</summary>
    internal int RowWidth => InputSize + ConditionWidth;
    /// <summary>The nonlinearity after each hidden layer and convolution of the built-in networks; ReLU by default.</summary>
    /// <value>Defaults to <see cref="VaeActivation.ReLU"/>.</value>
    public VaeActivation Activation { get; init; } = VaeActivation.ReLU;

    /// <summary>
    /// Probability of zeroing each input feature as it enters the encoder, during training only (dropout, scaled by
    /// 1 / (1 - p)); 0, the default, for none. In [0, 1).
    /// </summary>
    /// <value>Defaults to 0.</value>
    public double InputDropout { get; init; }

    /// <summary>
    /// Probability of zeroing each unit after every hidden layer of the encoder, during training only; 0, the default,
    /// for none. In [0, 1).
    /// </summary>
    /// <value>Defaults to 0.</value>
    public double HiddenDropout { get; init; }

    /// <summary>
    /// Normalize each fully connected hidden layer's output (<see cref="HiddenSizes"/>, encoder and decoder) over its
    /// features, with a learned scale and shift, before the activation. Off by default.
    /// </summary>
    /// <value>Defaults to false.</value>
    public bool LayerNormalization { get; init; }

    /// <summary>The size a convolutional model's input has by its image; 784 for other architectures.</summary>
    private int DerivedInputSize => Architecture == VaeArchitecture.Convolutional
        ? (int)Math.Clamp((long)ImageChannels * ImageHeight * ImageWidth, int.MinValue, int.MaxValue)
        : DefaultInputSize;

    /// <summary>The number of convolutions, 0 for an MLP.</summary>
    internal int ConvolutionCount => Architecture == VaeArchitecture.Convolutional ? ConvChannels.Count : 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is out of range or inconsistent.</summary>
    /// <exception cref="ArgumentException">
    /// A size is zero or negative, a list is null, an enum value is unknown, the variance is not positive and finite, or
    /// (convolutional) <see cref="InputSize"/> is not channels x height x width or the image is too small for its convolutions.
    /// </exception>
    public void Validate()
    {
        if (InputSize <= 0)
            throw new ArgumentException($"{nameof(InputSize)} must be positive, but was {InputSize}.", nameof(InputSize));
        if (LatentSize <= 0)
            throw new ArgumentException($"{nameof(LatentSize)} must be positive, but was {LatentSize}.", nameof(LatentSize));
        CheckPositive(HiddenSizes, nameof(HiddenSizes), "use an empty list for no hidden layer");
        if (!Enum.IsDefined(Architecture))
            throw new ArgumentException($"{nameof(Architecture)} {(int)Architecture} is not a {nameof(VaeArchitecture)}.", nameof(Architecture));
        if (!Enum.IsDefined(Likelihood))
            throw new ArgumentException($"{nameof(Likelihood)} {(int)Likelihood} is not a {nameof(VaeLikelihood)}.", nameof(Likelihood));
        if (!double.IsFinite(GaussianVariance) || GaussianVariance <= 0)
            throw new ArgumentException($"{nameof(GaussianVariance)} must be positive and finite, but was {GaussianVariance}.", nameof(GaussianVariance));
        if (!Enum.IsDefined(Activation))
            throw new ArgumentException($"{nameof(Activation)} {(int)Activation} is not a {nameof(VaeActivation)}.", nameof(Activation));
        CheckProbability(InputDropout, nameof(InputDropout));
        CheckProbability(HiddenDropout, nameof(HiddenDropout));
        if (Architecture == VaeArchitecture.Convolutional) ValidateImage();
        if (ConditionClasses < 0)
            throw new ArgumentException($"{nameof(ConditionClasses)} must not be negative, but was {ConditionClasses}.", nameof(ConditionClasses));
        if (ConditionSize < 0)
            throw new ArgumentException($"{nameof(ConditionSize)} must not be negative, but was {ConditionSize}.", nameof(ConditionSize));
        if (!Enum.IsDefined(Prior))
            throw new ArgumentException($"{nameof(Prior)} {(int)Prior} is not a {nameof(VaePrior)}.", nameof(Prior));
        if (PseudoInputs <= 0)
            throw new ArgumentException($"{nameof(PseudoInputs)} must be positive, but was {PseudoInputs}.", nameof(PseudoInputs));
        DistributionRegistry.ValidatePrior(this);
        if (Architecture == VaeArchitecture.Custom && (ConditionClasses > 0 || ConditionSize > 0))
            throw new ArgumentException(
                $"A model with its own encoder and decoder cannot take {nameof(ConditionClasses)} or {nameof(ConditionSize)}: " +
                "give the condition to your networks as part of their input instead.", nameof(ConditionClasses));
        if (ConditionClasses > 0 && ConditionSize > 0)
            throw new ArgumentException(
                $"Set at most one of {nameof(ConditionClasses)} ({ConditionClasses}) and {nameof(ConditionSize)} ({ConditionSize}): labels or a real-valued condition.",
                nameof(ConditionSize));
    }

    /// <summary>
    /// Height and width of the feature maps: index 0 is the input image, index i the output of convolution i.
    /// Call only on validated convolutional options.
    /// </summary>
    internal (int Height, int Width)[] FeatureMapSizes()
    {
        var sizes = new (int Height, int Width)[ConvChannels.Count + 1];
        sizes[0] = (ImageHeight, ImageWidth);
        // kernel 4, stride 2, padding 1: (h + 2 - 4) / 2 + 1 = floor(h / 2)
        for (var i = 1; i < sizes.Length; i++) sizes[i] = (sizes[i - 1].Height / 2, sizes[i - 1].Width / 2);
        return sizes;
    }

    /// <summary>The largest number of values one sample occupies in any layer: sizes the blocks of batched evaluation.</summary>
    internal long WidestLayer()
    {
        long widest = Math.Max(InputSize, LatentSize);
        foreach (var size in HiddenSizes) widest = Math.Max(widest, size);
        if (Architecture == VaeArchitecture.Convolutional)
        {
            var maps = FeatureMapSizes();
            for (var i = 0; i < ConvChannels.Count; i++)
                widest = Math.Max(widest, (long)ConvChannels[i] * maps[i + 1].Height * maps[i + 1].Width);
        }
        return widest;
    }

    /// <summary>Value equality that compares the lists element by element.</summary>
    public bool Equals(VaeOptions? other) =>
        other is not null && InputSize == other.InputSize && LatentSize == other.LatentSize
        && HiddenSizes.SequenceEqual(other.HiddenSizes)
        && Architecture == other.Architecture && ImageChannels == other.ImageChannels
        && ImageHeight == other.ImageHeight && ImageWidth == other.ImageWidth
        && ConvChannels.SequenceEqual(other.ConvChannels)
        && Likelihood == other.Likelihood && GaussianVariance.Equals(other.GaussianVariance)
        && LearnGaussianVariance == other.LearnGaussianVariance
        && ConditionClasses == other.ConditionClasses && ConditionSize == other.ConditionSize
        && Prior == other.Prior && PseudoInputs == other.PseudoInputs
        && Activation == other.Activation && InputDropout.Equals(other.InputDropout)
        && HiddenDropout.Equals(other.HiddenDropout) && LayerNormalization == other.LayerNormalization;

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(InputSize);
        hash.Add(LatentSize);
        foreach (var size in HiddenSizes) hash.Add(size);
        hash.Add(Architecture);
        hash.Add(ImageChannels);
        hash.Add(ImageHeight);
        hash.Add(ImageWidth);
        foreach (var channels in ConvChannels) hash.Add(channels);
        hash.Add(Likelihood);
        hash.Add(GaussianVariance);
        hash.Add(LearnGaussianVariance);
        hash.Add(ConditionClasses);
        hash.Add(ConditionSize);
        hash.Add(Prior);
        hash.Add(PseudoInputs);
        hash.Add(Activation);
        hash.Add(InputDropout);
        hash.Add(HiddenDropout);
        hash.Add(LayerNormalization);
        return hash.ToHashCode();
    }

    /// <summary>
    /// A compact description: <c>784-400-20</c> for the default MLP, <c>1x28x28-conv32-conv64-400-20</c> for a
    /// convolutional model, <c>784-custom-20</c> for one of the caller's own networks, followed by the choices that
    /// differ from the defaults, e.g. <c>8-32-2 (Gaussian, variance 1)</c> or <c>784-400-20 (GELU, layer norm)</c>.
    /// </summary>
    public override string ToString()
    {
        var layers = Architecture switch
        {
            VaeArchitecture.Convolutional => new[] { $"{ImageChannels}x{ImageHeight}x{ImageWidth}" }.Concat(ConvChannels.Select(c => $"conv{c}"))
                .Concat(HiddenSizes.Select(h => h.ToString(CultureInfo.InvariantCulture))),
            VaeArchitecture.Custom => [InputSize.ToString(CultureInfo.InvariantCulture), "custom"],
            _ => new[] { InputSize.ToString(CultureInfo.InvariantCulture) }.Concat(HiddenSizes.Select(h => h.ToString(CultureInfo.InvariantCulture))),
        };
        var text = string.Join('-', layers.Append(LatentSize.ToString(CultureInfo.InvariantCulture)));
        if (ConditionClasses > 0) text += $" given {ConditionClasses} classes";
        else if (ConditionSize > 0) text += $" given a condition of {ConditionSize}";
        text += DistributionRegistry.DescribePrior(this);
        var choices = new List<string>();
        if (Enum.IsDefined(Likelihood) && DistributionRegistry.Likelihood(this).Description is { } likelihood) choices.Add(likelihood);
        if (Architecture != VaeArchitecture.Custom)
        {
            if (Activation != VaeActivation.ReLU) choices.Add(Activation.ToString());
            if (LayerNormalization) choices.Add("layer norm");
            if (InputDropout > 0) choices.Add($"input dropout {InputDropout.ToString("G6", CultureInfo.InvariantCulture)}");
            if (HiddenDropout > 0) choices.Add($"hidden dropout {HiddenDropout.ToString("G6", CultureInfo.InvariantCulture)}");
        }
        choices.AddRange(UnusedSettings());
        return choices.Count == 0 ? text : $"{text} ({string.Join(", ", choices)})";
    }

    // The settings the description above leaves out because this architecture, prior or likelihood does not read them,
    // when they differ from their defaults: equal descriptions then mean equal options.
    private IEnumerable<string> UnusedSettings()
    {
        static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
        if (Architecture != VaeArchitecture.Convolutional)
        {
            if (ImageChannels != 1 || ImageHeight != 28 || ImageWidth != 28) yield return $"image {ImageChannels}x{ImageHeight}x{ImageWidth} unused";
            if (!ConvChannels.SequenceEqual(DefaultConvChannels)) yield return $"conv channels [{string.Join(", ", ConvChannels)}] unused";
        }
        else if (inputSize is { } explicitSize && explicitSize != DerivedInputSize) yield return $"input size {explicitSize}";
        if (Architecture == VaeArchitecture.Custom)
        {
            if (!HiddenSizes.SequenceEqual(DefaultHiddenSizes)) yield return $"hidden sizes [{string.Join(", ", HiddenSizes)}] unused";
            if (Activation != VaeActivation.ReLU) yield return $"{Activation} unused";
            if (LayerNormalization) yield return "layer norm unused";
            if (InputDropout > 0) yield return $"input dropout {Number(InputDropout)} unused";
            if (HiddenDropout > 0) yield return $"hidden dropout {Number(HiddenDropout)} unused";
        }
        if (ConditionClasses > 0 && ConditionSize > 0) yield return $"condition size {ConditionSize}";
        if (Prior != VaePrior.Vamp && PseudoInputs != 500) yield return $"{PseudoInputs} pseudo-inputs unused";
        if (Likelihood != VaeLikelihood.Gaussian)
        {
            if (GaussianVariance != 1.0) yield return $"Gaussian variance {Number(GaussianVariance)} unused";
            if (LearnGaussianVariance) yield return "learned Gaussian variance unused";
        }
    }

    private static void CheckProbability(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentException($"{name} must be a probability in [0, 1), but was {value}.", name);
    }

    private void ValidateImage()
    {
        if (ImageChannels <= 0)
            throw new ArgumentException($"{nameof(ImageChannels)} must be positive, but was {ImageChannels}.", nameof(ImageChannels));
        if (ImageHeight <= 0)
            throw new ArgumentException($"{nameof(ImageHeight)} must be positive, but was {ImageHeight}.", nameof(ImageHeight));
        if (ImageWidth <= 0)
            throw new ArgumentException($"{nameof(ImageWidth)} must be positive, but was {ImageWidth}.", nameof(ImageWidth));
        var pixels = (long)ImageChannels * ImageHeight * ImageWidth;
        if (pixels != InputSize)
            throw new ArgumentException(
                $"{nameof(InputSize)} must equal {nameof(ImageChannels)} x {nameof(ImageHeight)} x {nameof(ImageWidth)} for a convolutional model: " +
                $"the image is {ImageChannels} x {ImageHeight} x {ImageWidth} = {pixels} values, but {nameof(InputSize)} was {InputSize}.",
                nameof(InputSize));
        CheckPositive(ConvChannels, nameof(ConvChannels), "a convolutional model needs at least one convolution");
        if (ConvChannels.Count == 0)
            throw new ArgumentException($"{nameof(ConvChannels)} must name at least one convolution for a convolutional model, but is empty.", nameof(ConvChannels));
        var sizes = FeatureMapSizes();
        if (sizes[^1].Height < 1 || sizes[^1].Width < 1)
            throw new ArgumentException(
                $"An image of {ImageHeight} x {ImageWidth} pixels is too small for {ConvChannels.Count} convolutions that each halve it " +
                $"(it needs at least {1 << ConvChannels.Count} x {1 << ConvChannels.Count}); use fewer {nameof(ConvChannels)}.",
                nameof(ConvChannels));
    }

    private static void CheckPositive(IReadOnlyList<int>? sizes, string name, string hint)
    {
        if (sizes is null)
            throw new ArgumentException($"{name} must not be null ({hint}).", name);
        for (var i = 0; i < sizes.Count; i++)
        {
            if (sizes[i] <= 0)
                throw new ArgumentException($"{name}[{i}] must be positive, but was {sizes[i]}.", name);
        }
    }
}
