using System.Diagnostics;
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
public sealed class VaeTrainer : IDisposable
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
        shuffleGenerator = new Generator((ulong)this.options.Seed, device.type == DeviceType.CUDA ? CPU : device);
        noiseGenerator = new Generator((ulong)this.options.Seed + 1, device);
        step = trainable.CreateStep(new TrainingSetup(this.options, noiseGenerator, optimizer));
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

    /// <summary>Writes the complete training state (weights, optimizer, position, random generators, history) atomically.</summary>
    /// <param name="path">The checkpoint file; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="InvalidOperationException">Another thread is running <c>Fit</c> on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public void SaveCheckpoint(string path)
    {
        using var busy = Enter(reentrant: true);
        var saved = state with { BestValidationLoss = best.Loss, EpochsWithoutImprovement = best.EpochsWithoutImprovement };
        var checkpoint = new TrainingCheckpoint(trainable, model, options, saved, history, optimizer, shuffleGenerator, noiseGenerator, best.Weights);
        AtomicFile.Write(path, checkpoint.WriteTo);
        logger.LogDebug(TrainingEvents.CheckpointWritten, "Checkpoint written to {Path} after {Epochs} epoch(s) and {Batches} batch(es)", path, state.CompletedEpochs, state.BatchInEpoch);
    }

    /// <summary>
    /// Restores the state saved by <see cref="SaveCheckpoint"/>, so that <c>Fit</c> continues where that run stopped and
    /// ends with the same weights, bit for bit on the CPU, as a run that was never interrupted.
    /// </summary>
    /// <param name="path">A checkpoint written by <see cref="SaveCheckpoint"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is damaged, or is for another architecture.</exception>
    /// <exception cref="InvalidOperationException"><c>Fit</c> is running on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public void LoadCheckpoint(string path)
    {
        using var busy = Enter(reentrant: false);
        var checkpoint = TrainingCheckpoint.Read(path, trainable, model);
        var bestWeights = checkpoint.TakeBestWeights(trainable); // checked before anything of the trainer changes
        checkpoint.Restore(trainable, model, optimizer, shuffleGenerator, noiseGenerator);
        state = checkpoint.State;
        history.Clear();
        history.AddRange(checkpoint.History);
        best.Reset(state.BestValidationLoss, state.EpochsWithoutImprovement, bestWeights);
        logger.LogInformation(TrainingEvents.ResumedFromCheckpoint, "Resumed from {Path} after {Epochs} epoch(s)", path, state.CompletedEpochs);
    }

    /// <summary>
    /// Copies the weights of the epoch with the best validation figure so far into the model (what <c>Fit</c> does at
    /// the end with <see cref="VaeTrainerOptions.RestoreBestWeights"/>), e.g. after a cancelled or diverged run.
    /// </summary>
    /// <returns>False, and the model is unchanged, when no epoch has been validated yet.</returns>
    /// <exception cref="InvalidOperationException">Another thread is running <c>Fit</c> on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public bool RestoreBestWeights()
    {
        using var busy = Enter(reentrant: true);
        return best.RestoreInto(trainable);
    }

    /// <summary>
    /// Creates the model and a trainer from a checkpoint alone (the architecture and options are stored in it),
    /// ready for <c>Fit</c> to continue.
    /// </summary>
    /// <param name="path">A checkpoint written by <see cref="SaveCheckpoint"/>.</param>
    /// <param name="adjust">Changes to the stored options, e.g. more epochs; null keeps them.</param>
    /// <param name="logger">As for the constructor.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or is damaged.</exception>
    /// <exception cref="InvalidOperationException">
    /// The checkpoint is of a model with the caller's own encoder and decoder: build that model with them, create a
    /// trainer for it and call <see cref="LoadCheckpoint"/>.
    /// </exception>
    public static VaeTrainer Resume(string path, Func<VaeTrainerOptions, VaeTrainerOptions>? adjust = null, ILogger? logger = null)
    {
        var (architecture, options) = TrainingCheckpoint.ReadOptions(path);
        if (architecture.Architecture == VaeArchitecture.Custom)
            throw new InvalidOperationException(
                $"Checkpoint '{path}' is of a model with your own encoder and decoder ({architecture}), which {nameof(Resume)} cannot build. " +
                $"Create the model with new {nameof(VariationalAutoencoder)}(encoder, decoder, options) from the same modules, a " +
                $"{nameof(VaeTrainer)} for it, and call {nameof(LoadCheckpoint)}(\"{path}\").");
        var model = new VariationalAutoencoder(architecture);
        var trainer = new VaeTrainer(model, adjust is null ? options : adjust(options), logger);
        trainer.LoadCheckpoint(path);
        return trainer;
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
            optimizer.Dispose();
            shuffleGenerator.Dispose();
            noiseGenerator.Dispose();
            best.Dispose();
        }
    }

    // The model trains in training mode and afterwards (or on an exception) gets back the modes the caller left it in.
    private TrainingResult Run(
        TrainingData? validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        int? batchesPerEpoch, Func<int, Tensor?, EpochBatches> batchesOf, long? sampleCount)
    {
        using var modes = trainable.EnterTrainingMode();
        return RunInTrainingMode(validation, progress, cancellationToken, batchesPerEpoch, batchesOf, sampleCount);
    }

    private TrainingResult RunInTrainingMode(
        TrainingData? validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        int? batchesPerEpoch, Func<int, Tensor?, EpochBatches> batchesOf, long? sampleCount)
    {
        var schedule = KlSchedule.For(options, batchesPerEpoch);
        if (options.LearningRateSchedule is { FollowsValidationLoss: true } plateauLike && validation is null)
            throw new ArgumentException(
                $"LearningRateSchedule is a {plateauLike.GetType().Name}, which follows the validation loss, but Fit was given no validation data.", nameof(validation));
        state = state with { BatchesPerEpoch = batchesPerEpoch ?? 0 };
        if (options.CpuThreads is { } threads) VaeRuntime.SetCpuThreads(threads);
        optimizer.Threads = step.Threads = Math.Max(1, VaeRuntime.CpuThreads);

        var clock = Stopwatch.StartNew();
        var stoppedEarly = false;
        string? stopReason = null;
        optimizer.AttachParameters(parameters);
        optimizer.AttachGradients(parameters);
        for (var epoch = state.CompletedEpochs + 1; epoch <= options.Epochs && !stoppedEarly; epoch++)
        {
            using var epochScope = NewDisposeScope();
            StartShuffle(epoch);
            StartLearningRate(epoch);
            // Before the permutation is drawn, so that a checkpoint written here holds the generator of the epoch's start.
            StopIfCancelled(cancellationToken);
            var permutation = sampleCount is { } n ? randperm(n, generator: shuffleGenerator, device: shuffleGenerator.device).to(device) : null;
            var batches = batchesOf(epoch, permutation);
            var epochClock = Stopwatch.StartNew();
            var (trainedBatches, trainedSamples) = TrainEpoch(epoch, batches, schedule, progress, clock, epochClock, cancellationToken);
            epochClock.Stop();

            var summary = FinishEpoch(epoch, validation, schedule, trainedSamples / epochClock.Elapsed.TotalSeconds, epochClock.Elapsed);
            stopReason = StopReason(summary, validation);
            stoppedEarly = stopReason is not null;
            if (options.CheckpointPath is { } checkpointPath && (epoch % options.CheckpointEveryEpochs == 0 || epoch == options.Epochs || stoppedEarly))
                WriteCheckpoint(checkpointPath);
            progress?.Report(new TrainingProgress(
                epoch, options.Epochs, trainedBatches, batches.Count, summary.Train.Loss, summary.Train.Reconstruction, summary.Train.Kl,
                summary.ImagesPerSecond, clock.Elapsed, summary) { Beta = summary.Beta });
        }

        if (validation is not null && options.RestoreBestWeights) best.RestoreInto(trainable);
        var bestEpoch = history.Count == 0 ? 0
            : history.Where(h => h.ObjectiveOrLoss is not null).DefaultIfEmpty(history[^1]).MinBy(h => h.ObjectiveOrLoss ?? 0)!.Epoch;
        return new TrainingResult(history.ToArray(), bestEpoch, stoppedEarly, clock.Elapsed) { StopReason = stopReason };
    }

    // The batches of one epoch from where the state stands; returns the epoch's batch count and the samples trained now.
    private (int Batches, long Samples) TrainEpoch(
        int epoch, EpochBatches batches, KlSchedule schedule, IProgress<TrainingProgress>? progress, Stopwatch clock, Stopwatch epochClock,
        CancellationToken cancellationToken)
    {
        var trainedSamples = 0L;
        var batch = 0;
        using var enumerator = batches.Batches.GetEnumerator();
        while (true)
        {
            // Around MoveNext too: what the source creates for this batch is disposed with the step.
            using var stepScope = NewDisposeScope();
            if (!enumerator.MoveNext()) break;
            batch++;
            if (batch <= state.BatchInEpoch) continue; // resumed mid-epoch: these were trained before the checkpoint
            StopIfCancelled(cancellationToken);

            var beta = schedule.At(state.GlobalStep);
            var result = TrainStep(enumerator.Current, beta, epoch, batch);
            trainedSamples += result.Samples;
            state = state with { BatchInEpoch = batch, GlobalStep = state.GlobalStep + 1, Sums = state.Sums.Add(result) };
            if (state.GlobalStep % StepsBetweenCollections == 0) GC.Collect();
            progress?.Report(new TrainingProgress(
                epoch, options.Epochs, batch, batches.Count, result.Loss / result.Samples, result.Reconstruction / result.Samples,
                result.Kl / result.Samples, trainedSamples / epochClock.Elapsed.TotalSeconds, clock.Elapsed, null) { Beta = beta });
        }
        if (batch == 0) throw new ArgumentException($"The batch source gave no batches for epoch {epoch}.", "batchesForEpoch");
        return (batch, trainedSamples);
    }

    // Every epoch shuffles with the generator as it stood when that epoch first began, however often it is resumed.
    private void StartShuffle(int epoch)
    {
        // A mid-epoch checkpoint written before the epoch of the state was recorded has only BatchInEpoch to go by.
        if (state.ShuffleStateAtEpochStart is { } saved && (state.ShuffleStateEpoch == epoch || state.BatchInEpoch > 0))
            GeneratorState.Restore(shuffleGenerator, saved);
        else
            state = state with { ShuffleStateAtEpochStart = GeneratorState.Save(shuffleGenerator), ShuffleStateEpoch = epoch, Sums = default };
    }

    // The rate of this epoch: from the schedule's formula, or as a plateau schedule left it at the end of the last one.
    private void StartLearningRate(int epoch)
    {
        var learningRate = options.LearningRateSchedule?.StartOfEpoch(options.LearningRate, epoch, options.Epochs, state.LearningRate) ?? options.LearningRate;
        if (history.Count > 0 && history[^1].LearningRate != learningRate && state.BatchInEpoch == 0)
            logger.LogInformation(TrainingEvents.LearningRateChanged, "Learning rate {Previous:G4} -> {LearningRate:G4} from epoch {Epoch}",
                history[^1].LearningRate, learningRate, epoch);
        optimizer.LearningRate = learningRate;
        state = state with { LearningRate = learningRate };
    }

    // Early stopping first, then the callbacks (all of them run, the first reason is kept); null to go on.
    private string? StopReason(EpochSummary summary, TrainingData? validation)
    {
        string? reason = null;
        if (options.EarlyStoppingPatience > 0 && best.EpochsWithoutImprovement >= options.EarlyStoppingPatience)
        {
            reason = $"the validation {(summary.Validation is null ? "figure" : "loss")} has not improved for {best.EpochsWithoutImprovement} epochs (EarlyStoppingPatience {options.EarlyStoppingPatience})";
            logger.LogInformation(TrainingEvents.StoppedEarly, "Stopping early after epoch {Epoch}: {Reason}", summary.Epoch, reason);
        }
        if (options.Callbacks.Count == 0) return reason;
        var context = new EpochContext(trainable, summary, history.AsReadOnly(), options.Epochs, state.GlobalStep, (validation as TensorData)?.Tensor);
        foreach (var callback in options.Callbacks) callback.OnEpochEnd(context);
        BackToTrainingMode(); // a callback that ran the model for inference may have left it in evaluation mode
        if (reason is null && context.StopReason is { } requested)
        {
            reason = requested;
            logger.LogInformation(TrainingEvents.StoppedByCallback, "Stopping after epoch {Epoch} at a callback's request: {Reason}", summary.Epoch, reason);
        }
        return reason;
    }

    // A checkpoint the trainer writes on its own, announced to the callbacks.
    private void WriteCheckpoint(string path)
    {
        SaveCheckpoint(path);
        foreach (var callback in options.Callbacks) callback.OnCheckpointSaved(path);
    }

    private void StopIfCancelled(CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested) return;
        if (options.CheckpointPath is { } path) WriteCheckpoint(path);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private StepResult TrainStep(TrainingBatch batch, double beta, int epoch, int batchIndex)
    {
        var result = step.Run(batch, beta);
        if (!double.IsFinite(result.Loss) || !double.IsFinite(result.Reconstruction) || !double.IsFinite(result.Kl))
            throw new TrainingDivergedException(epoch, batchIndex, $"the loss is {result.Loss} (reconstruction {result.Reconstruction}, KL {result.Kl})");
        // A step of the seam may leave the check (and the clipping) to the trainer.
        var gradientCheck = result.GradientCheck
            ?? (options.MaxGradientNorm is { } maxNorm ? ClippedNorm(maxNorm) : optimizer.SumOfGradients());
        if (!double.IsFinite(gradientCheck))
            throw new TrainingDivergedException(epoch, batchIndex, "a gradient is NaN or infinite");
        optimizer.Step();
        return result;
    }

    private EpochSummary FinishEpoch(int epoch, TrainingData? validation, KlSchedule schedule, double imagesPerSecond, TimeSpan duration)
    {
        var sums = state.Sums;
        var train = new ElboMetrics(sums.Loss / sums.Samples, sums.Reconstruction / sums.Samples, sums.Kl / sums.Samples);
        ValidationOutcome? validated = null;
        var isBest = false;
        if (validation is not null)
        {
            validated = step.Validate(validation, options.Seed);
            BackToTrainingMode();
            isBest = best.Offer(trainable, validated.Objective);
            if (options.LearningRateSchedule is { } learningRateSchedule)
                state = learningRateSchedule.AfterValidation(state, optimizer.LearningRate, validated.Objective);
        }
        state = state with { CompletedEpochs = epoch, BatchInEpoch = 0, Sums = default };
        var summary = new EpochSummary(epoch, train, validated?.Elbo, schedule.At(state.GlobalStep - 1), imagesPerSecond, duration, isBest,
            DisposeScopeManager.Statistics.ThreadTotalLiveCount)
        {
            LearningRate = optimizer.LearningRate,
            ValidationObjective = validated?.Objective,
            ValidationMetrics = validated is { Metrics.Count: > 0 } ? validated.Metrics : null,
        };
        history.Add(summary);
        logger.LogInformation(TrainingEvents.EpochCompleted,
            "Epoch {Epoch}/{Epochs}: train {Train:F2} nats, validation {Validation}, {Rate:F0} samples/s",
            epoch, options.Epochs, train.Loss, Describe(validated), imagesPerSecond);
        return summary;
    }

    private static string Describe(ValidationOutcome? validated) => validated switch
    {
        null => "-",
        { Elbo: { } elbo } => $"{elbo.Loss:F2} nats",
        _ => string.Join(", ", validated.Metrics.Select(m => $"{m.Key} {m.Value:F4}").DefaultIfEmpty($"{validated.Objective:F4}")),
    };

    private float ClippedNorm(double maxNorm)
    {
        using var norm = optimizer.ClipGradientNorm(maxNorm);
        return norm.item<float>();
    }

    // Validation and callbacks may leave the model in evaluation mode; the modes of the caller come back when Run ends
    // (from its first switch), so the token of this one is not needed.
    private void BackToTrainingMode() => _ = trainable.EnterTrainingMode();

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
