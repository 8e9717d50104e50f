using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// A variational autoencoder (Kingma and Welling, 2014): an <see cref="Core.Encoder"/> for q(z|x), the
/// reparameterization trick, and a <see cref="Core.Decoder"/> for p(x|z) with Bernoulli or Gaussian features, all
/// described by one <see cref="VaeOptions"/> (MLP or convolutional, see <see cref="VaeOptions.Architecture"/>).
/// </summary>
/// <example>
/// <code>
/// using var model = new VariationalAutoencoder(new VaeOptions { LatentSize = 2 });
/// using var scope = torch.NewDisposeScope();
/// var terms = model.NegativeElbo(batch);          // batch: [N, 784] in [0, 1]
/// terms.Loss.backward();
/// </code>
/// </example>
/// <remarks>
/// After <see cref="Dispose(bool)"/> every member except <see cref="Options"/> throws <see cref="ObjectDisposedException"/>,
/// including the inherited members that reach the parameters (enumerations, state dict, <c>to</c>, <c>train</c>/<c>eval</c>, <c>zero_grad</c>); otherwise a disposed
/// model would look like one without parameters, and saving it would replace a good file with an unloadable one.
/// </remarks>
public sealed class VariationalAutoencoder : Module<Tensor, VaeOutput>
{
    private readonly Encoder encoder;
    private readonly Decoder decoder;
    // Null for the standard prior, so that such a model's state dict keeps the names of files saved before priors existed.
    private readonly VampPrior? prior;
    private bool disposed;

    /// <summary>Creates a model with freshly initialized weights; seed with <c>torch.manual_seed</c> for repeatable ones.</summary>
    /// <param name="options">The architecture; the 784-400-20 MNIST model when null.</param>
    /// <exception cref="ArgumentException">The options are invalid; see <see cref="VaeOptions.Validate"/>.</exception>
    public VariationalAutoencoder(VaeOptions? options = null) : base(VaeRuntime.CheckedName(nameof(VariationalAutoencoder)))
    {
        options ??= new VaeOptions();
        options.Validate();
        Options = options;
        // Encoder before decoder, layer by layer: the order in which pytorch/examples draws its initial weights.
        encoder = new Encoder(options);
        decoder = new Decoder(options);
        if (options.Prior == VaePrior.Vamp) prior = new VampPrior(options);
        RegisterComponents();
    }

    /// <summary>The architecture of this model; still readable after disposal, for messages about the model.</summary>
    public VaeOptions Options { get; }

    /// <summary>The inference network q(z|x).</summary>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public Encoder Encoder
    {
        get
        {
            ThrowIfDisposed();
            return encoder;
        }
    }

    /// <summary>The generative network p(x|z).</summary>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public Decoder Decoder
    {
        get
        {
            ThrowIfDisposed();
            return decoder;
        }
    }

    /// <summary>The device the parameters live on.</summary>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public Device Device
    {
        get
        {
            ThrowIfDisposed();
            return encoder.parameters().First().device;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override bool training
    {
        get
        {
            ThrowIfDisposed();
            return base.training;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override void train(bool train = true)
    {
        ThrowIfDisposed();
        base.train(train);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
    {
        ThrowIfDisposed();
        return base.named_parameters(recurse);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true, bool include_nonpersistent = true)
    {
        ThrowIfDisposed();
        return base.named_buffers(recurse, include_nonpersistent);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override void zero_grad(bool set_to_none = true)
    {
        ThrowIfDisposed();
        base.zero_grad(set_to_none);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override (IList<string> missing_keys, IList<string> unexpected_keyes) load_state_dict(
        Dictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
    {
        ThrowIfDisposed();
        return base.load_state_dict(source, strict, skip);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    protected override Module _to(Device device, ScalarType dtype, bool non_blocking)
    {
        ThrowIfDisposed();
        return base._to(device, dtype, non_blocking);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    protected override Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
    {
        ThrowIfDisposed();
        return base._to(deviceType, deviceIndex, non_blocking);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    protected override Module _to(ScalarType dtype, bool non_blocking)
    {
        ThrowIfDisposed();
        return base._to(dtype, non_blocking);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override IEnumerable<(string name, Module module)> named_children()
    {
        ThrowIfDisposed();
        return base.named_children();
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override IEnumerable<(string name, Module module)> named_modules()
    {
        ThrowIfDisposed();
        return base.named_modules();
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        ThrowIfDisposed();
        return base.state_dict(destination, prefix);
    }

    /// <summary>Encodes, samples z with the global generator, and decodes.</summary>
    /// <param name="input">A batch <c>[N, InputSize]</c>.</param>
    public override VaeOutput forward(Tensor input) => Forward(input, null);

    /// <summary>Encodes, samples z with <paramref name="generator"/>, and decodes.</summary>
    /// <param name="input">A batch <c>[N, InputSize]</c>.</param>
    /// <param name="generator">Source of the reparameterization noise; the global generator when null.</param>
    /// <exception cref="ArgumentException">The input has the wrong rank or feature count.</exception>
    public VaeOutput Forward(Tensor input, Generator? generator)
    {
        ThrowIfDisposed();
        var (mean, logVar) = encoder.forward(input);
        var z = Reparameterization.Sample(mean, logVar, generator);
        return new VaeOutput(decoder.forward(DecoderInput(z, input)), mean, logVar, z)
        {
            Likelihood = Options.Likelihood,
            ReconstructionLogVariance = decoder.OutputLogVariance(mean.dtype, mean.device),
            LearnedPrior = prior is null ? null : (prior, encoder),
        };
    }

    /// <summary>
    /// The negative ELBO of a batch (reconstruction + beta * KL), with both parts, from one sample of z per input.
    /// Checks that the batch lies in [0, 1] (Bernoulli) or is finite (Gaussian); a training loop that has checked its
    /// data once can skip that by using <see cref="Forward"/> and <see cref="ElboLoss"/> directly.
    /// </summary>
    /// <param name="input">A batch <c>[N, InputSize]</c> with values in [0, 1] (Bernoulli) or finite values (Gaussian).</param>
    /// <param name="beta">Weight of the KL term; 1 gives the plain ELBO.</param>
    /// <param name="reduction">Per sample (<see cref="Reduction.None"/>), total, or mean nats per sample (the default).</param>
    /// <param name="generator">Source of the reparameterization noise; the global generator when null.</param>
    /// <exception cref="ArgumentException">The input has the wrong shape, contains NaN, or lies outside the likelihood's range.</exception>
    public ElboTerms NegativeElbo(Tensor input, double beta = 1.0, Reduction reduction = Reduction.Mean, Generator? generator = null)
    {
        ThrowIfDisposed();
        Guard.Features(input, Options.RowWidth, nameof(input));
        Guard.Data(FeaturesOf(input), Options.Likelihood, nameof(input));
        Guard.Beta(beta);
        using var scope = NewDisposeScope();
        var output = Forward(input, generator);
        var terms = ElboLoss.NegativeElboUnchecked(output, FeaturesOf(input), beta, reduction);
        return new ElboTerms(
            terms.Reconstruction.MoveToOuterDisposeScope(),
            terms.Kl.MoveToOuterDisposeScope(),
            terms.Loss.MoveToOuterDisposeScope());
    }

    /// <summary>The posterior means of a batch: its deterministic latent codes.</summary>
    /// <param name="input">A batch <c>[N, InputSize]</c>.</param>
    /// <returns>Codes <c>[N, LatentSize]</c>, without gradient.</returns>
    public Tensor Encode(Tensor input)
    {
        ThrowIfDisposed();
        using var noGrad = no_grad();
        var (mean, logVar) = encoder.forward(input);
        logVar.Dispose();
        return mean;
    }

    /// <summary>
    /// Decodes latent codes to the mean of p(x|z): pixel probabilities (the sigmoid of the decoder's logits) for
    /// Bernoulli, the decoder's output itself for Gaussian.
    /// </summary>
    /// <param name="latent">Codes <c>[N, LatentSize]</c>.</param>
    /// <returns>Means <c>[N, InputSize]</c> (in [0, 1] for Bernoulli), without gradient.</returns>
    /// <exception cref="ArgumentException">The model is conditional: use <see cref="Decode(Tensor, Tensor)"/>.</exception>
    public Tensor Decode(Tensor latent)
    {
        ThrowIfDisposed();
        if (Options.ConditionWidth > 0)
            throw new ArgumentException($"This {Options} model is conditional: give the condition with Decode(latent, condition) or Sample(count, condition).", nameof(latent));
        using var noGrad = no_grad();
        return decoder.MeanOf(decoder.forward(latent));
    }

    /// <summary>Decodes latent codes under a condition to the mean of p(x|z, c) (see <see cref="Decode(Tensor)"/>).</summary>
    /// <param name="latent">Codes <c>[N, LatentSize]</c>.</param>
    /// <param name="condition">
    /// The condition of each code, <c>[N, width]</c>, or one condition <c>[width]</c> for all; for
    /// <see cref="VaeOptions.ConditionClasses"/> one-hot rows (see <see cref="ConditionalData.OneHot"/>).
    /// </param>
    /// <returns>Means <c>[N, InputSize]</c>, without gradient.</returns>
    /// <exception cref="ArgumentException">The model is not conditional, or a shape is wrong.</exception>
    public Tensor Decode(Tensor latent, Tensor condition)
    {
        ThrowIfDisposed();
        Guard.Features(latent, Options.LatentSize, nameof(latent));
        using var scope = NewDisposeScope();
        var conditions = Conditions(condition, latent.shape[0]).to(latent.dtype, latent.device);
        using var noGrad = no_grad();
        return decoder.MeanOf(decoder.forward(cat([latent, conditions], 1))).MoveToOuterDisposeScope();
    }

    /// <summary>Draws <paramref name="count"/> codes from the prior and decodes them under a condition.</summary>
    /// <param name="count">How many samples.</param>
    /// <param name="condition">One condition <c>[width]</c> for all samples, or one per sample <c>[count, width]</c>.</param>
    /// <param name="generator">Source of the codes; the global generator when null.</param>
    /// <returns>The means of p(x|z, c), <c>[count, InputSize]</c>.</returns>
    /// <exception cref="ArgumentException">The model is not conditional, or the condition has the wrong shape.</exception>
    public Tensor Sample(int count, Tensor condition, Generator? generator = null)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        using var scope = NewDisposeScope();
        var conditions = Conditions(condition, count);
        var latent = randn([count, Options.LatentSize], device: Device, generator: generator);
        return Decode(latent, conditions).MoveToOuterDisposeScope();
    }

    /// <summary>Draws <paramref name="count"/> samples of class <paramref name="label"/> from a model conditioned on classes.</summary>
    /// <param name="count">How many samples.</param>
    /// <param name="label">The class, from 0 to <see cref="VaeOptions.ConditionClasses"/> - 1.</param>
    /// <param name="generator">Source of the codes; the global generator when null.</param>
    /// <returns>The means of p(x|z, c), <c>[count, InputSize]</c>.</returns>
    /// <exception cref="ArgumentException">The model is not conditioned on classes, or the label is out of range.</exception>
    public Tensor Sample(int count, int label, Generator? generator = null)
    {
        ThrowIfDisposed();
        if (Options.ConditionClasses == 0)
            throw new ArgumentException($"This {Options} model is not conditioned on classes, so it takes no label.", nameof(label));
        using var scope = NewDisposeScope();
        var oneHot = ConditionalData.OneHot(tensor(new long[] { label }), Options.ConditionClasses).squeeze(0);
        return Sample(count, oneHot, generator).MoveToOuterDisposeScope();
    }

    /// <summary>Draws <paramref name="count"/> codes from the prior N(0, I) and decodes them.</summary>
    /// <param name="count">How many samples.</param>
    /// <param name="generator">Source of the codes; the global generator when null.</param>
    /// <returns>The means of p(x|z) for each code, <c>[count, InputSize]</c> (probabilities for Bernoulli); see <see cref="Decode(Tensor)"/>.</returns>
    /// <exception cref="ArgumentException">The model is conditional: use <see cref="Sample(int, Tensor, Generator?)"/>.</exception>
    public Tensor Sample(int count, Generator? generator = null)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (Options.ConditionWidth > 0)
            throw new ArgumentException($"This {Options} model is conditional: give the condition with Sample(count, condition) or Sample(count, label).", nameof(count));
        using var latent = prior is not null
            ? prior.Sample(count, encoder, generator)
            : randn([count, Options.LatentSize], device: Device, generator: generator);
        return Decode(latent);
    }

    /// <summary>Encodes a batch to its posterior means and decodes them: the model's best reconstruction.</summary>
    /// <param name="input">A batch <c>[N, InputSize]</c>.</param>
    /// <returns>Means of p(x|z) <c>[N, InputSize]</c> (probabilities for Bernoulli).</returns>
    public Tensor Reconstruct(Tensor input)
    {
        ThrowIfDisposed();
        using var latent = Encode(input);
        if (Options.ConditionWidth == 0) return Decode(latent);
        using var condition = ConditionOf(input);
        return Decode(latent, condition);
    }

    /// <summary>The learned prior, or null for N(0, I).</summary>
    internal VampPrior? LearnedPrior => prior;

    /// <summary>log p(z) under the model's prior for codes <c>[..., LatentSize]</c>, shape <c>[...]</c>.</summary>
    internal Tensor PriorLogDensity(Tensor z) =>
        prior is null ? GaussianDensity.StandardLogDensityUnchecked(z) : prior.LogDensity(z, encoder);

    /// <summary>The features of data rows: the rows themselves, or for a conditional model the columns before the condition.</summary>
    internal Tensor FeaturesOf(Tensor rows) => Options.ConditionWidth > 0 ? rows.narrow(1, 0, Options.InputSize) : rows;

    /// <summary>The condition columns of a conditional model's data rows.</summary>
    internal Tensor ConditionOf(Tensor rows) => rows.narrow(1, Options.InputSize, Options.ConditionWidth);

    /// <summary>
    /// What the decoder reads for latent codes <paramref name="z"/> (<c>[..., rows, LatentSize]</c>) of the data
    /// <paramref name="rows"/>: z itself, or for a conditional model z followed by each row's condition.
    /// </summary>
    internal Tensor DecoderInput(Tensor z, Tensor rows)
    {
        if (Options.ConditionWidth == 0) return z;
        var condition = ConditionOf(rows).to(z.dtype);
        if (z.dim() > 2) condition = condition.expand([.. z.shape[..^1], Options.ConditionWidth]);
        return cat([z, condition], -1);
    }

    // One condition for every row, or one per row, checked against the model's conditioning.
    private Tensor Conditions(Tensor condition, long rows)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (Options.ConditionWidth == 0)
            throw new ArgumentException($"This {Options} model is not conditional: use the overload without a condition.", nameof(condition));
        var width = Options.ConditionWidth;
        if (condition.dim() == 1 && condition.shape[0] == width) return condition.unsqueeze(0).expand(rows, width);
        if (condition.dim() == 2 && condition.shape[0] == rows && condition.shape[1] == width) return condition.alias();
        throw new ArgumentException(
            $"condition must have shape [{width}] or [{rows}, {width}] for this {Options} model, but has shape {Guard.Shape(condition)}.", nameof(condition));
    }

    /// <summary>
    /// Saves this model's architecture and weights to one file, atomically (see <see cref="VaeModelFile"/>);
    /// load it with <see cref="Load(string)"/>.
    /// </summary>
    /// <param name="path">The file to create or replace; an existing file survives a failed save.</param>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written.</exception>
    public void Save(string path) => VaeModelFile.Save(this, path);

    /// <summary>
    /// Saves this model with named texts that travel in the same file (see
    /// <see cref="VaeModelFile.Save(VariationalAutoencoder, string, IReadOnlyDictionary{string, string}?)"/>); read them
    /// back with <see cref="VaeModelFile.ReadAttachments(string)"/>.
    /// </summary>
    /// <param name="path">The file to create or replace; an existing file survives a failed save.</param>
    /// <param name="attachments">Name to text (usually JSON); null or empty for none.</param>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written.</exception>
    public void Save(string path, IReadOnlyDictionary<string, string>? attachments) => VaeModelFile.Save(this, path, attachments);

    /// <summary>Writes this model's architecture and weights to a stream (see <see cref="VaeModelFile"/>).</summary>
    /// <param name="stream">A writable stream; it is left open.</param>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written.</exception>
    public void Save(Stream stream) => VaeModelFile.Save(this, stream);

    /// <summary>Loads a model saved with <see cref="Save(string)"/>; the architecture comes from the file.</summary>
    /// <param name="path">The model file.</param>
    /// <returns>A new model on the CPU, in evaluation mode; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The file is not a Vae model, truncated, corrupted, or of an unknown format version.</exception>
    public static VariationalAutoencoder Load(string path) => VaeModelFile.Load(path);

    /// <summary>Loads a model written with <see cref="Save(Stream)"/> from the stream's current position.</summary>
    /// <param name="stream">A readable stream; it is left open.</param>
    /// <returns>A new model on the CPU, in evaluation mode; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The data is not a Vae model, truncated, corrupted, or of an unknown format version.</exception>
    public static VariationalAutoencoder Load(Stream stream) => VaeModelFile.Load(stream);

    /// <summary>Overwrites this model's weights with those saved in a file of the same architecture.</summary>
    /// <param name="path">The model file.</param>
    /// <exception cref="ArgumentException">A saved tensor is missing, extra, or has another shape; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid Vae model file.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public void LoadWeights(string path) => VaeModelFile.LoadWeights(this, path);

    /// <summary>Frees the parameters; afterwards every member but <see cref="Options"/> throws <see cref="ObjectDisposedException"/>.</summary>
    /// <param name="disposing">True from <c>Dispose()</c>, false from the finalizer.</param>
    protected override void Dispose(bool disposing)
    {
        // The base class walks the parameters and submodules, so the flag goes up only after it has finished.
        base.Dispose(disposing);
        disposed = true;
    }

    internal void ThrowIfDisposed()
    {
        if (disposed)
            throw new ObjectDisposedException(nameof(VariationalAutoencoder), $"This {Options} model has been disposed: its parameters are freed.");
    }
}
