using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// A variational autoencoder (Kingma and Welling, 2014): an <see cref="Core.Encoder"/> for q(z|x), the
/// reparameterization trick, and a <see cref="Core.Decoder"/> for p(x|z) with Bernoulli or Gaussian features, all
/// described by one <see cref="VaeOptions"/> (MLP or convolutional, see <see cref="VaeOptions.Architecture"/>); or an
/// encoder and decoder of the caller's own (see
/// <see cref="VariationalAutoencoder(Module{Tensor, ValueTuple{Tensor, Tensor}}, Module{Tensor, Tensor}, VaeOptions)"/>)
/// with the same loss, trainer, checkpoints, likelihood estimates, anomaly scores and interpolation.
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
    private readonly Module<Tensor, (Tensor Mean, Tensor LogVariance)> encoder;
    private readonly Module<Tensor, Tensor> decoder;
    // A custom model's learned Gaussian log-variances (a built-in decoder holds its own). Not readonly: Module.to
    // replaces parameter fields when it changes their device or dtype.
    private Parameter? logVariance;
    // The prior's parameters, null for a prior without any (the standard one), so that such a model's state dict keeps
    // the names of files saved before priors existed.
    private readonly Module? prior;
    private readonly DataLikelihood likelihood;
    private readonly LatentPrior latentPrior;
    private bool disposed;
    private readonly object modeGate = new();
    private int customInferences;
    private (Module Module, bool Training)[]? savedModes;

    /// <summary>Creates a model with freshly initialized weights; seed with <c>torch.manual_seed</c> for repeatable ones.</summary>
    /// <param name="options">The architecture; the 784-400-20 MNIST model when null.</param>
    /// <exception cref="ArgumentException">The options are invalid; see <see cref="VaeOptions.Validate"/>.</exception>
    public VariationalAutoencoder(VaeOptions? options = null) : this(options ?? new VaeOptions(), null, null)
    {
    }

    /// <summary>
    /// Creates a model with the built-in networks that <paramref name="options"/> describe and a likelihood, and
    /// optionally a prior, of the caller's own (see <see cref="DataLikelihood"/> and <see cref="LatentPrior"/>), which
    /// replace <see cref="VaeOptions.Likelihood"/> and <see cref="VaeOptions.Prior"/>. It trains through autograd; to save
    /// and load it, register their names with <see cref="VaeDistributions"/>.
    /// </summary>
    /// <param name="options">The architecture.</param>
    /// <param name="likelihood">p(x|z); null for the one <paramref name="options"/> names.</param>
    /// <param name="prior">p(z); null for the one <paramref name="options"/> names.</param>
    /// <exception cref="ArgumentException">The options are invalid; see <see cref="VaeOptions.Validate"/>.</exception>
    public VariationalAutoencoder(VaeOptions options, DataLikelihood? likelihood, LatentPrior? prior = null) : base(VaeRuntime.CheckedName(nameof(VariationalAutoencoder)))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        this.likelihood = likelihood ?? DistributionRegistry.Likelihood(options);
        // Encoder before decoder, layer by layer: the order in which pytorch/examples draws its initial weights.
        encoder = new Encoder(options);
        decoder = new Decoder(options, this.likelihood);
        latentPrior = prior ?? DistributionRegistry.Prior(options, encoder);
        this.prior = latentPrior.Parameters;
        RegisterComponents();
    }

    /// <summary>
    /// Creates a model from an encoder and decoder of the caller's own, which it then owns (disposing the model
    /// disposes them). Everything built on the model works with it: <see cref="VaeTrainer"/> (with autograd; the fused
    /// CPU kernels implement the built-in MLP only), checkpoints, <see cref="LikelihoodEstimator"/>,
    /// <see cref="AnomalyDetector"/>, <see cref="LatentInterpolation"/>, <see cref="Save(string)"/> and
    /// <see cref="LoadWeights(string)"/>.
    /// </summary>
    /// <param name="encoder">
    /// Maps a batch <c>[N, InputSize]</c> to the mean and log-variance of q(z|x), each <c>[N, LatentSize]</c>.
    /// </param>
    /// <param name="decoder">
    /// Maps codes <c>[N, LatentSize]</c> to the likelihood's parameters <c>[N, InputSize]</c>: logits for Bernoulli,
    /// means for Gaussian. A learned Gaussian variance (<see cref="VaeOptions.LearnGaussianVariance"/>) is a parameter of
    /// this model, <c>logVariance</c>, not of the decoder.
    /// </param>
    /// <param name="options">
    /// <see cref="VaeOptions.InputSize"/>, <see cref="VaeOptions.LatentSize"/> and the likelihood's options; the
    /// architecture becomes <see cref="VaeArchitecture.Custom"/>, and the built-in networks' options are not used.
    /// </param>
    /// <exception cref="ArgumentException">
    /// The options are invalid or name the convolutional architecture, or the encoder and decoder are the same module.
    /// </exception>
    /// <example>
    /// <code>
    /// using var model = new VariationalAutoencoder(new MyEncoder(), new MyDecoder(), new VaeOptions { InputSize = 64, LatentSize = 8 });
    /// using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 20 });
    /// trainer.Fit(data);
    /// model.Save("model.vae");                    // weights; loading needs the same modules:
    /// using var again = new VariationalAutoencoder(new MyEncoder(), new MyDecoder(), model.Options);
    /// again.LoadWeights("model.vae");
    /// </code>
    /// </example>
    public VariationalAutoencoder(
        Module<Tensor, (Tensor Mean, Tensor LogVariance)> encoder,
        Module<Tensor, Tensor> decoder,
        VaeOptions options) : this(encoder, decoder, options, null, null)
    {
    }

    /// <summary>
    /// Creates a model from an encoder and decoder of the caller's own (see
    /// <see cref="VariationalAutoencoder(Module{Tensor, ValueTuple{Tensor, Tensor}}, Module{Tensor, Tensor}, VaeOptions)"/>)
    /// with a likelihood, and optionally a prior, of the caller's own, which replace <see cref="VaeOptions.Likelihood"/>
    /// and <see cref="VaeOptions.Prior"/>.
    /// </summary>
    /// <param name="encoder">Maps a batch <c>[N, InputSize]</c> to the mean and log-variance of q(z|x).</param>
    /// <param name="decoder">Maps codes <c>[N, LatentSize]</c> to the likelihood's parameters <c>[N, InputSize]</c>.</param>
    /// <param name="options">The data and latent sizes.</param>
    /// <param name="likelihood">p(x|z); null for the one <paramref name="options"/> names.</param>
    /// <param name="prior">p(z); null for the one <paramref name="options"/> names.</param>
    /// <exception cref="ArgumentException">As the constructor without distributions.</exception>
    public VariationalAutoencoder(
        Module<Tensor, (Tensor Mean, Tensor LogVariance)> encoder,
        Module<Tensor, Tensor> decoder,
        VaeOptions options,
        DataLikelihood? likelihood,
        LatentPrior? prior = null) : base(VaeRuntime.CheckedName(nameof(VariationalAutoencoder)))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Architecture is not (VaeArchitecture.Mlp or VaeArchitecture.Custom))
            throw new ArgumentException(
                $"The options of a model with your own encoder and decoder describe the data and the latent code; their " +
                $"{nameof(VaeOptions.Architecture)} must be {nameof(VaeArchitecture.Custom)} (or left at its default), not {options.Architecture}.",
                nameof(options));
        if (ReferenceEquals(encoder, decoder))
            throw new ArgumentException("The encoder and the decoder must be two modules, but the same module was given for both.", nameof(decoder));
        options = options with { Architecture = VaeArchitecture.Custom };
        options.Validate();
        Options = options;
        this.encoder = encoder;
        this.decoder = decoder;
        this.likelihood = likelihood ?? DistributionRegistry.Likelihood(options);
        if (this.likelihood.CreateLearnedParameter(options.InputSize) is { } initial) logVariance = Parameter(initial);
        latentPrior = prior ?? DistributionRegistry.Prior(options, encoder);
        this.prior = latentPrior.Parameters;
        RegisterComponents();
    }

    /// <summary>The architecture of this model; still readable after disposal, for messages about the model.</summary>
    public VaeOptions Options { get; }

    /// <summary>True for a model built from the caller's own encoder and decoder (<see cref="VaeArchitecture.Custom"/>).</summary>
    public bool IsCustom => Options.Architecture == VaeArchitecture.Custom;

    /// <summary>The distribution p(x|z): the built-in one <see cref="VaeOptions.Likelihood"/> names, or the caller's own.</summary>
    public DataLikelihood Likelihood => likelihood;

    /// <summary>The prior p(z): the built-in one <see cref="VaeOptions.Prior"/> names, or the caller's own.</summary>
    public LatentPrior Prior => latentPrior;

    /// <summary>True when the likelihood and the prior are the built-in ones the options name, which the fused kernels and the PyTorch layouts know.</summary>
    internal bool HasBuiltInDistributions => likelihood.BuiltIn is not null && latentPrior.BuiltIn is not null;

    /// <summary>The built-in inference network q(z|x).</summary>
    /// <exception cref="InvalidOperationException">The model was built from the caller's own encoder, which the caller holds.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public Encoder Encoder
    {
        get
        {
            ThrowIfDisposed();
            return encoder as Encoder ?? throw OwnModule("encoder");
        }
    }

    /// <summary>The built-in generative network p(x|z).</summary>
    /// <exception cref="InvalidOperationException">The model was built from the caller's own decoder, which the caller holds.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public Decoder Decoder
    {
        get
        {
            ThrowIfDisposed();
            return decoder as Decoder ?? throw OwnModule("decoder");
        }
    }

    /// <summary>
    /// The learned log-variance of each feature, shape <c>[InputSize]</c>, when the likelihood is Gaussian with
    /// <see cref="VaeOptions.LearnGaussianVariance"/>; otherwise null. The decoder's for a built-in model, this model's own
    /// for a custom one.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public Parameter? LogVariance
    {
        get
        {
            ThrowIfDisposed();
            return decoder is Decoder builtIn ? builtIn.LogVariance : logVariance;
        }
    }

    /// <summary>The device the parameters live on (the CPU for a model without parameters).</summary>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public Device Device
    {
        get
        {
            ThrowIfDisposed();
            return parameters().FirstOrDefault()?.device ?? CPU;
        }
    }

    /// <summary>The floating dtype of the parameters (float32 for a model without parameters); inputs are converted to it.</summary>
    internal ScalarType DType => parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;

    /// <summary>
    /// Enters deterministic inference on this thread until the result is disposed, whatever mode the model is in: the
    /// built-in encoder drops nothing while any such scope is open on the calling thread (no shared flag changes, so
    /// concurrent inference and a model left in training mode are both fine). A model of the caller's own modules, whose
    /// layers read only the shared <c>training</c> flag, is put in evaluation mode by the first open scope and given back
    /// the caller's mode of every module by the last one to close.
    /// </summary>
    internal IDisposable Inference()
    {
        ThrowIfDisposed();
        Encoder.EnterInference();
        if (IsCustom)
        {
            lock (modeGate)
            {
                if (customInferences++ == 0)
                {
                    savedModes = [(this, base.training), .. base.named_modules().Select(pair => (pair.module, pair.module.training))];
                    if (savedModes.Any(saved => saved.Training)) base.train(false);
                }
            }
        }
        return new InferenceExit(this);
    }

    private void ExitInference()
    {
        if (IsCustom)
        {
            lock (modeGate)
            {
                if (--customInferences == 0 && savedModes is { } modes)
                {
                    savedModes = null;
                    // Pre-order: a parent's train() sets its children, then each child gets its own mode back.
                    if (modes.Any(saved => saved.Training))
                        foreach (var (module, training) in modes) if (!disposed) module.train(training);
                }
            }
        }
        Encoder.ExitInference();
    }

    private sealed class InferenceExit(VariationalAutoencoder model) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0) model.ExitInference();
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
    /// <param name="input">A batch <c>[N, InputSize]</c> (a convolutional model also takes <c>[N, C, H, W]</c>).</param>
    public override VaeOutput forward(Tensor input) => Forward(input, null);

    /// <summary>Encodes, samples z with <paramref name="generator"/>, and decodes.</summary>
    /// <param name="input">A batch <c>[N, InputSize]</c> (a convolutional model also takes <c>[N, C, H, W]</c>).</param>
    /// <param name="generator">Source of the reparameterization noise; the global generator when null.</param>
    /// <exception cref="ArgumentException">The input has the wrong rank or feature count, or a custom network's output has the wrong shape.</exception>
    public VaeOutput Forward(Tensor input, Generator? generator)
    {
        ThrowIfDisposed();
        var (mean, logVar) = Posterior(input);
        var z = Reparameterization.Sample(mean, logVar, generator);
        return new VaeOutput(LikelihoodParameters(DecoderInput(z, input)), mean, logVar, z)
        {
            Likelihood = likelihood.BuiltIn ?? Options.Likelihood,
            ReconstructionLogVariance = OutputLogVariance(mean.dtype, mean.device),
            Distribution = likelihood,
            PriorDistribution = latentPrior,
        };
    }

    /// <summary>
    /// The encoder's mean and log-variance of q(z|x) for a batch of any accepted shape; a custom encoder's outputs are
    /// checked, since a wrong shape would otherwise broadcast silently in the loss.
    /// </summary>
    internal (Tensor Mean, Tensor LogVariance) Posterior(Tensor input)
    {
        // The road of every scoring path (anomaly scores, IWAE, evaluation) into the weights.
        ThrowIfDisposed();
        if (encoder is Encoder builtIn) return builtIn.forward(input);
        Tensor flat;
        using (var scope = NewDisposeScope())
            flat = ModelInput.Flat(input, Options, nameof(input)).MoveToOuterDisposeScope();
        try
        {
            var (mean, logVar) = encoder.forward(flat);
            CheckOutput(mean, [flat.shape[0], Options.LatentSize], "encoder", "mean");
            CheckOutput(logVar, [flat.shape[0], Options.LatentSize], "encoder", "log-variance");
            return (mean, logVar);
        }
        finally
        {
            if (!ReferenceEquals(flat, input)) flat.Dispose();
        }
    }

    /// <summary>The decoder's parameters of p(x|z), <c>[N, InputSize]</c>, for codes <c>[N, LatentSize]</c>.</summary>
    internal Tensor LikelihoodParameters(Tensor latent)
    {
        if (decoder is Decoder builtIn) return builtIn.forward(latent);
        // Custom models are never conditional (VaeOptions.Validate), so their decoder reads z alone.
        Guard.Features(latent, Options.LatentSize, nameof(latent));
        var output = decoder.forward(latent);
        CheckOutput(output, [latent.shape[0], Options.InputSize], "decoder", "output");
        return output;
    }

    /// <summary>
    /// The log-variance of the Gaussian likelihood as a new tensor handle, broadcastable to <c>[N, InputSize]</c>; null
    /// for a likelihood without a variance parameter.
    /// </summary>
    internal Tensor? OutputLogVariance(ScalarType dtype, Device device)
    {
        if (decoder is Decoder builtIn) return builtIn.OutputLogVariance(dtype, device);
        return logVariance is not null ? logVariance.view(-1) : likelihood.FixedParameter(dtype, device);
    }

    /// <summary>The mean of p(x|z) from the decoder's <paramref name="output"/>, which it takes over.</summary>
    internal Tensor MeanOf(Tensor output)
    {
        var mean = likelihood.Mean(output);
        if (!ReferenceEquals(mean, output)) output.Dispose();
        return mean;
    }

    /// <summary>
    /// The negative ELBO of a batch (reconstruction + beta * KL), with both parts, from one sample of z per input.
    /// Checks that the batch lies in [0, 1] (Bernoulli) or is finite (Gaussian); a training loop that has checked its
    /// data once can skip that by using <see cref="Forward"/> and <see cref="ElboLoss"/> directly.
    /// </summary>
    /// <param name="input">A batch <c>[N, InputSize]</c> with values in [0, 1] (Bernoulli) or finite values (Gaussian).</param>
    /// <param name="beta">Weight of the KL term; 1 gives the plain ELBO.</param>
    /// <param name="reduction">
    /// Per sample (<see cref="Reduction.None"/>), total, or mean nats per sample (the default, <see cref="Reduction.Mean"/>,
    /// which here is <see cref="ElboReduction.PerSample"/>: summed over the features, averaged over the batch).
    /// </param>
    /// <param name="generator">Source of the reparameterization noise; the global generator when null.</param>
    /// <exception cref="ArgumentException">The input has the wrong shape, contains NaN, or lies outside the likelihood's range.</exception>
    public ElboTerms NegativeElbo(Tensor input, double beta = 1.0, Reduction reduction = Reduction.Mean, Generator? generator = null)
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        input = ModelInput.Flat(input, Options, nameof(input));
        Likelihood.CheckData(FeaturesOf(input), nameof(input));
        Guard.Beta(beta);
        var output = Forward(input, generator);
        var terms = ElboLoss.NegativeElboUnchecked(output, FeaturesOf(input), beta, reduction);
        return new ElboTerms(
            terms.Reconstruction.MoveToOuterDisposeScope(),
            terms.Kl.MoveToOuterDisposeScope(),
            terms.Loss.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// <see cref="NegativeElbo(Tensor, double, Reduction, Generator?)"/> reduced as <paramref name="reduction"/> names:
    /// <see cref="ElboReduction.PerSample"/> (nats per sample), <see cref="ElboReduction.Sum"/> or <see cref="ElboReduction.None"/>.
    /// </summary>
    /// <param name="input">A batch <c>[N, InputSize]</c> with values in [0, 1] (Bernoulli) or finite values (Gaussian).</param>
    /// <param name="reduction">How to reduce the batch; <see cref="ElboReduction.ElementMean"/> is refused.</param>
    /// <param name="beta">Weight of the KL term; 1 gives the plain ELBO.</param>
    /// <param name="generator">Source of the reparameterization noise; the global generator when null.</param>
    /// <exception cref="ArgumentException">The input is invalid, or the reduction is <see cref="ElboReduction.ElementMean"/>.</exception>
    public ElboTerms NegativeElbo(Tensor input, ElboReduction reduction, double beta = 1.0, Generator? generator = null) =>
        NegativeElbo(input, beta, ElboLoss.ToLibraryReduction(reduction, nameof(reduction)), generator);

    /// <summary>The posterior means of a batch: its deterministic latent codes.</summary>
    /// <param name="input">A batch <c>[N, InputSize]</c>.</param>
    /// <returns>Codes <c>[N, LatentSize]</c>, without gradient.</returns>
    public Tensor Encode(Tensor input)
    {
        ThrowIfDisposed();
        using var inference = Inference();
        using var noGrad = no_grad();
        Tensor prepared;
        using (var scope = NewDisposeScope())
            prepared = ModelInput.ForModel(input, this, nameof(input)).MoveToOuterDisposeScope();
        try
        {
            using var fused = FusedEncoderFor(prepared.shape[0]);
            Tensor mean, logVar;
            if (fused is null)
            {
                (mean, logVar) = Posterior(prepared);
            }
            else
            {
                using var contiguous = prepared.contiguous();
                (mean, logVar) = fused.Posterior(contiguous, VaeRuntime.CpuThreads);
            }
            logVar.Dispose();
            return mean;
        }
        finally
        {
            if (!ReferenceEquals(prepared, input)) prepared.Dispose();
        }
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
        using var inference = Inference();
        using var noGrad = no_grad();
        Guard.Features(latent, Options.LatentSize, nameof(latent));
        using var scope = NewDisposeScope();
        var converted = ModelInput.Converted(latent, this, nameof(latent));
        using var fused = FusedDecoderFor(converted.shape[0]);
        var output = fused is null ? LikelihoodParameters(converted) : fused.DecoderOutput(converted.contiguous(), VaeRuntime.CpuThreads);
        return MeanOf(output).MoveToOuterDisposeScope();
    }

    /// <summary>Lets tests and benchmarks encode and decode through the modules alone; true by default.</summary>
    internal static bool UseFusedInference { get; set; } = true;

    // On x86-64 CPUs with AVX-512 or AVX2 a built-in convolutional model encodes and decodes on the fused kernels (those
    // of training, the IWAE estimate and anomaly scores) from one tile of rows a call, the same values to float rounding;
    // below a tile the kernels' setup costs more than it saves, and an MLP, one cheap product a layer, gains nothing (as
    // measured for anomaly scores: Vae.Benchmarks anomaly --batch N).
    private bool TakesFusedInference(long rows) =>
        UseFusedInference && Options.Architecture == VaeArchitecture.Convolutional && rows >= Kernels.FusedLikelihood.ConvTileColumns
            && Device.type == DeviceType.CPU;

    internal Kernels.FusedEncoder? FusedEncoderFor(long rows) => TakesFusedInference(rows) ? Kernels.FusedEncoder.TryCreate(this) : null;

    private Kernels.FusedLikelihood? FusedDecoderFor(long rows) => TakesFusedInference(rows) ? Kernels.FusedLikelihood.TryCreate(this) : null;

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
        using var inference = Inference();
        using var scope = NewDisposeScope();
        latent = ModelInput.Converted(latent, this, nameof(latent));
        var conditions = Conditions(condition, latent.shape[0]).to(latent.dtype, latent.device);
        using var noGrad = no_grad();
        return MeanOf(LikelihoodParameters(cat([latent, conditions], 1))).MoveToOuterDisposeScope();
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
        using var inference = Inference();
        using var latent = latentPrior.Sample(count, Device, generator);
        return Decode(latent);
    }

    /// <summary>Encodes a batch to its posterior means and decodes them: the model's best reconstruction.</summary>
    /// <param name="input">A batch <c>[N, InputSize]</c>.</param>
    /// <returns>Means of p(x|z) <c>[N, InputSize]</c> (probabilities for Bernoulli).</returns>
    public Tensor Reconstruct(Tensor input)
    {
        ThrowIfDisposed();
        using var inference = Inference();
        using var scope = NewDisposeScope();
        input = ModelInput.ForModel(input, this, nameof(input));
        using var latent = Encode(input);
        if (Options.ConditionWidth == 0) return Decode(latent).MoveToOuterDisposeScope();
        using var condition = ConditionOf(input);
        return Decode(latent, condition).MoveToOuterDisposeScope();
    }

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
    /// <exception cref="InvalidOperationException">
    /// The file holds a model with the caller's own encoder and decoder: build it with them and use <see cref="LoadWeights(string)"/>.
    /// </exception>
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

    private InvalidOperationException OwnModule(string part) => new(
        $"This {Options} model was built from your own {part}, so it has no built-in {char.ToUpperInvariant(part[0])}{part[1..]}: use the module you gave it.");

    private static void CheckOutput(Tensor output, long[] expected, string network, string what)
    {
        if (!output.shape.SequenceEqual(expected))
            throw new ArgumentException(
                $"The custom {network}'s {what} must have shape [{string.Join(", ", expected)}], but has shape {Guard.Shape(output)}.");
    }

    internal void ThrowIfDisposed()
    {
        if (disposed)
            throw new ObjectDisposedException(nameof(VariationalAutoencoder), $"This {Options} model has been disposed: its parameters are freed.");
    }
}
