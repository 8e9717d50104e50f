using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Trains a <see cref="VariationalAutoencoder"/>, or any other <see cref="ITrainableModel"/>, with Adam (AdamW's decoupled weight decay if asked) on the negative
/// ELBO: seeded shuffling every epoch, KL warm-up, learning-rate schedules, gradient clipping, validation with early
/// stopping and best-weight restore, callbacks at epoch end (<see cref="ITrainingCallback"/>, TensorBoard among them),
/// atomic checkpoints that resume bit for bit, a guard against NaN, and memory that stays flat over long runs. Every
/// log event carries one of the <see cref="TrainingEvents"/> ids.
/// </summary>
/// <remarks>
/// One trainer runs one thing at a time: <c>Fit</c>, <see cref="LoadCheckpoint"/> and <see cref="SaveCheckpoint"/>
/// called while another thread runs <c>Fit</c> throw <see cref="InvalidOperationException"/> (a progress callback
/// may save a checkpoint on the training thread). Read <see cref="History"/> and <see cref="CompletedEpochs"/> from
/// the progress callback or after <c>Fit</c> returns. The model must not be used by other threads while it trains;
/// once trained, its inference (<see cref="VariationalAutoencoder.Encode"/>, <see cref="VariationalAutoencoder.Sample(int, Generator?)"/>
/// with a generator per thread, <see cref="VariationalAutoencoder.NegativeElbo(Tensor, double, TorchSharp.torch.nn.Reduction, Generator?)"/>, <see cref="VaeEvaluation.Evaluate"/>)
/// may run on several threads at once. <c>Fit</c> trains in training mode and then gives every module of the model back
/// the mode it had before (a model in evaluation mode stays in it); inference is deterministic in either mode, since
/// encoding, decoding, sampling, scoring and evaluation run without dropout whatever the mode.
/// </remarks>
/// <example>
/// <code>
/// using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 10 });
/// var result = trainer.Fit(trainImages, testImages, progress, cancellationToken);
/// </code>
/// </example>
public sealed partial class VaeTrainer : IDisposable
{
    // Each step leaves 4 to 7 KiB of garbage (TorchSharp's tensor handles and scopes, some holding native memory until
    // finalized); with so little allocation the GC seldom runs, and without this collection the working set of the
    // 784-400-20 model grew 0.3 (fused) to 0.5 (autograd) MiB per epoch of 63 steps over 20 epochs. With it, it is flat.
    private const int StepsBetweenCollections = 50;

    private readonly ITrainableModel trainable;
    private readonly VariationalAutoencoder? model;
    private readonly Device device;
    private readonly ScalarType dtype;
    private readonly FlatAdam optimizer;
    private readonly WeightAverage? average;
    private readonly ITrainingStep step;
    private readonly Parameter[] parameters;
    private readonly Generator shuffleGenerator;
    private readonly Generator noiseGenerator;
    private readonly ILogger logger;
    private readonly List<EpochSummary> history = [];
    private readonly BestWeights best = new();
    private readonly VaeTrainerOptions options;

    private readonly ExclusiveAccess access = new(
        "This trainer is already running Fit (or a checkpoint call) on another thread; one trainer runs one thing at a time.",
        "This trainer is running Fit on this thread (this call came from its progress callback?): that run must end first.");

    private TrainingState state = TrainingState.Fresh;
    private bool disposed;

    /// <summary>Prepares to train <paramref name="model"/>, moving it to the options' device.</summary>
    /// <param name="model">The model to train, float32 or float64 (after <c>model.to(ScalarType.Float64)</c>); it stays the caller's and is not disposed by the trainer.</param>
    /// <param name="options">Hyper-parameters; the defaults of <see cref="VaeTrainerOptions"/> when null.</param>
    /// <param name="logger">Receives a line per epoch and per checkpoint; nothing is logged when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public VaeTrainer(VariationalAutoencoder model, VaeTrainerOptions? options = null, ILogger? logger = null)
        : this(Moved(model, options), model, options, logger)
    {
    }

    /// <summary>Prepares to train a model of another family through the trainer's seam (see <see cref="ITrainableModel"/>).</summary>
    /// <param name="model">The model; its parameters must be on the options' device. It stays the caller's.</param>
    /// <param name="options">Hyper-parameters; the defaults of <see cref="VaeTrainerOptions"/> when null.</param>
    /// <param name="logger">Receives a line per epoch and per checkpoint; nothing is logged when null.</param>
    /// <exception cref="ArgumentException">An option is out of range, the model has no parameters, or they are not on the options' device.</exception>
    public VaeTrainer(ITrainableModel model, VaeTrainerOptions? options = null, ILogger? logger = null)
        : this(model, null, options, logger)
    {
    }

    private VaeTrainer(ITrainableModel trainable, VariationalAutoencoder? model, VaeTrainerOptions? options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(trainable);
        this.options = options ?? new VaeTrainerOptions();
        this.options.Validate();
        this.trainable = trainable;
        this.model = model;
        this.logger = logger ?? NullLogger.Instance;
        device = new Device(this.options.Device);
        parameters = trainable.TrainableParameters.ToArray();
        if (parameters.Length == 0) throw new ArgumentException($"The model ({trainable.Architecture}) has no trainable parameters.", nameof(model));
        if (parameters.FirstOrDefault(p => p.device_type != device.type || device.index >= 0 && p.device_index != device.index) is { } elsewhere)
            throw new ArgumentException($"The model's parameters are on {elsewhere.device}, but the options' device is {device}: move the model there first.", nameof(model));
        dtype = parameters[0].dtype;
        optimizer = new FlatAdam(parameters, this.options.LearningRate, weightDecay: this.options.WeightDecay);
        if (this.options.WeightAverageDecay is { } decay) average = new WeightAverage(optimizer.Parameters, decay);
        shuffleGenerator = new Generator((ulong)this.options.Seed, device.type == DeviceType.CUDA ? CPU : device);
        noiseGenerator = new Generator((ulong)this.options.Seed + 1, device);
        step = trainable.CreateStep(new TrainingSetup(this.options, noiseGenerator, optimizer));
        if (step is IPhasedTrainingStep phased) optimizer.SetGroups(parameters, phased.ParameterGroupSizes);
    }

    // A VAE is moved to the trainer's device before its parameters are read.
    private static AutoencoderTraining Moved(VariationalAutoencoder model, VaeTrainerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.to(new Device((options ?? new VaeTrainerOptions()).Device));
        return new AutoencoderTraining(model);
    }

    /// <summary>The hyper-parameters of this trainer.</summary>
    public VaeTrainerOptions Options => Alive(options);

    /// <summary>The variational autoencoder being trained.</summary>
    /// <exception cref="InvalidOperationException">The trainer trains another kind of model (see <see cref="TrainedModel"/>).</exception>
    public VariationalAutoencoder Model => Alive(model) ?? throw new InvalidOperationException(
        $"This trainer trains a {trainable.GetType().Name}, not a {nameof(VariationalAutoencoder)}; see {nameof(TrainedModel)}.");

    /// <summary>The model being trained, whatever its kind.</summary>
    public ITrainableModel TrainedModel => Alive(trainable);

    /// <summary>
    /// Whether training steps run through the fused CPU kernels (see <see cref="VaeTrainerOptions.UseFusedCpuKernels"/>)
    /// rather than autograd.
    /// </summary>
    public bool UsesFusedCpuKernels => Alive(step) is FusedTrainingStep;

    /// <summary>Every completed epoch, including those restored from a checkpoint.</summary>
    public IReadOnlyList<EpochSummary> History => Alive(history);

    /// <summary>Epochs completed so far (restored from a checkpoint included).</summary>
    public int CompletedEpochs => Alive(state).CompletedEpochs;

    /// <summary>
    /// Trains on an in-memory data set, reshuffled every epoch, until <see cref="VaeTrainerOptions.Epochs"/> epochs are
    /// complete (counting those restored from a checkpoint) or early stopping ends the run.
    /// Data of another floating type than the model's (float64 from <c>torch.tensor(double[])</c>, float16) is converted
    /// to the model's once, as a copy.
    /// </summary>
    /// <param name="train">Training data <c>[N, InputSize]</c>, in [0, 1] for a Bernoulli model and finite for a Gaussian one; checked once, never disposed here.</param>
    /// <param name="validation">Held-out data for the per-epoch validation loss, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">The data has the wrong shape, contains NaN, or lies outside [0, 1] for a Bernoulli model.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite; the weights are those from before that step.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    /// <exception cref="InvalidOperationException">Another thread is running <c>Fit</c> on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public TrainingResult Fit(Tensor train, Tensor? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var busy = Enter(reentrant: false);
        ArgumentNullException.ThrowIfNull(train);
        if (model is not null)
        {
            Guard.Features(train, model.Options.RowWidth, nameof(train));
            model.Likelihood.CheckData(model.FeaturesOf(train), nameof(train));
        }
        if (train.shape[0] == 0) throw new ArgumentException("train holds no samples.", nameof(train));
        CheckValidation(validation);

        // Of the model's type, on the trainer's device and contiguous, so that every batch can be gathered from it.
        using var converted = TrainingBatches.Converted(train, dtype, device);
        using var convertedValidation = TrainingBatches.Converted(validation, dtype, null);
        var data = new TensorData(converted ?? train);
        var validationData = (convertedValidation ?? validation) is { } v ? new TensorData(v) : null;
        return FitShuffled(data, validationData, progress, cancellationToken);
    }

    /// <summary>
    /// Trains on a data set of another kind than a tensor (the users' clicks of a recommender, for one), reshuffled every
    /// epoch, as <see cref="Fit(Tensor, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/> does; the model's
    /// <see cref="ITrainingStep"/> reads each batch's rows from it.
    /// </summary>
    /// <param name="train">The training data; never disposed here.</param>
    /// <param name="validation">Held-out data for the per-epoch validation figure, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">The training data holds no samples, or the model's step does not read this kind of data.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite; the weights are those from before that step.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    /// <exception cref="InvalidOperationException">Another thread is running <c>Fit</c> on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public TrainingResult Fit(TrainingData train, TrainingData? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var busy = Enter(reentrant: false);
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("train holds no samples.", nameof(train));
        if (validation is { Count: 0 }) throw new ArgumentException("validation holds no samples.", nameof(validation));
        return FitShuffled(train, validation, progress, cancellationToken);
    }

    private TrainingResult FitShuffled(TrainingData data, TrainingData? validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var count = data.Count;
        var batches = (int)((count + options.BatchSize - 1) / options.BatchSize);
        return Run(validation, progress, cancellationToken, batches,
            (_, permutation) => new EpochBatches(TrainingBatches.Shuffled(data, permutation!, options.BatchSize), batches), count);
    }

    /// <summary>
    /// Trains on batches the caller supplies: <paramref name="batchesForEpoch"/> is asked for each epoch's batches
    /// (its argument is the epoch, from 1). Tensors it creates while being enumerated belong to their step and are
    /// disposed after it; tensors it only hands out stay the caller's. Each batch's shape is checked and it is
    /// converted to the model's floating type if need be; its values are the caller's to check once (in [0, 1] for
    /// a Bernoulli model), since a pass over every batch would slow every step. A NaN batch is caught by the guard
    /// against non-finite losses. For bit-exact resumes the source must give the same batches for the same epoch.
    /// </summary>
    /// <remarks>
    /// A KL warm-up given in epochs (<see cref="VaeTrainerOptions.KlWarmupEpochs"/>) needs the number of batches per
    /// epoch before the first step: it is the count of the first epoch's sequence, which must therefore have one
    /// without being enumerated (an array, a list, a collection, or a <c>Select</c> over one). For a lazily computed
    /// sequence give the warm-up in steps with <see cref="VaeTrainerOptions.KlWarmupSteps"/>.
    /// </remarks>
    /// <param name="batchesForEpoch">The batches of one epoch, each <c>[B, InputSize]</c> with B &gt; 0 (in [0, 1] for a Bernoulli model).</param>
    /// <param name="validation">Held-out data for the per-epoch validation loss; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">A batch has the wrong shape or no rows, or a KL warm-up in epochs meets a sequence without a count.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite (a NaN batch, for one).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="InvalidOperationException">Another thread is running <c>Fit</c> on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public TrainingResult Fit(Func<int, IEnumerable<Tensor>> batchesForEpoch, Tensor? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var busy = Enter(reentrant: false);
        ArgumentNullException.ThrowIfNull(batchesForEpoch);
        CheckValidation(validation);
        using var convertedValidation = TrainingBatches.Converted(validation, dtype, null);

        // The first epoch's sequence is asked for up front, for its count, and then trained on: each epoch's once.
        var firstEpoch = state.CompletedEpochs + 1;
        var first = firstEpoch <= options.Epochs ? batchesForEpoch(firstEpoch) : [];
        int? firstCount = first.TryGetNonEnumeratedCount(out var count) ? count : null;
        var batchesPerEpoch = state.BatchesPerEpoch > 0 ? state.BatchesPerEpoch : firstCount;
        var validationData = (convertedValidation ?? validation) is { } v ? new TensorData(v) : null;
        var rowWidth = model?.Options.RowWidth;
        return Run(validationData, progress, cancellationToken, batchesPerEpoch, (epoch, _) =>
        {
            var batches = epoch == firstEpoch ? first : batchesForEpoch(epoch);
            return new EpochBatches(TrainingBatches.Checked(batches, epoch, rowWidth, dtype, device),
                batches.TryGetNonEnumeratedCount(out var known) ? known : 0);
        }, null);
    }

    /// <summary>Releases the optimizer, the generators and the saved best weights (not the model); a second call does nothing.</summary>
    /// <exception cref="InvalidOperationException"><c>Fit</c> is running on this trainer.</exception>
    public void Dispose()
    {
        if (disposed) return;
        using (Enter(reentrant: false))
        {
            disposed = true;
            step.Dispose();
            average?.Dispose();
            optimizer.Dispose();
            shuffleGenerator.Dispose();
            noiseGenerator.Dispose();
            best.Dispose();
        }
    }

    private void CheckValidation(Tensor? validation)
    {
        if (validation is null || model is null) return;
        Guard.Features(validation, model.Options.RowWidth, nameof(validation));
        model.Likelihood.CheckData(model.FeaturesOf(validation), nameof(validation));
        if (validation.shape[0] == 0) throw new ArgumentException("validation holds no samples.", nameof(validation));
    }

    private T Alive<T>(T value)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return value;
    }

    private ExclusiveAccess.Scope Enter(bool reentrant)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return access.Enter(reentrant);
    }
}
