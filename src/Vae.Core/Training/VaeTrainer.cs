using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using Vae.Core.Kernels;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// Trains a <see cref="VariationalAutoencoder"/> with Adam on the negative ELBO: seeded shuffling every epoch,
/// KL warm-up, gradient clipping, validation with early stopping and best-weight restore, atomic checkpoints that
/// resume bit for bit, a guard against NaN, and memory that stays flat over long runs.
/// </summary>
/// <example>
/// <code>
/// using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 10 });
/// var result = trainer.Fit(trainImages, testImages, progress, cancellationToken);
/// </code>
/// </example>
public sealed class VaeTrainer : IDisposable
{
    // The native memory behind TorchSharp's optimizer objects is released by finalizers, which run only when the GC
    // runs; with little managed allocation that is rarely, and RSS grew ~3 MB per step. A collection every few dozen
    // steps keeps it flat for a negligible cost.
    private const int StepsBetweenCollections = 50;

    private readonly VariationalAutoencoder model;
    private readonly Device device;
    private readonly FlatAdam optimizer;
    private readonly FusedMlpStep? fusedStep;
    private readonly Parameter[] parameters;
    private readonly Generator shuffleGenerator;
    private readonly Generator noiseGenerator;
    private readonly ILogger logger;
    private readonly List<EpochSummary> history = [];

    private TrainingState state = TrainingState.Fresh;
    private int cpuThreads = 1;
    private Dictionary<string, Tensor>? bestWeights;

    /// <summary>Prepares to train <paramref name="model"/>, moving it to the options' device.</summary>
    /// <param name="model">The model to train; it stays the caller's and is not disposed by the trainer.</param>
    /// <param name="options">Hyper-parameters; the defaults of <see cref="VaeTrainerOptions"/> when null.</param>
    /// <param name="logger">Receives a line per epoch and per checkpoint; nothing is logged when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public VaeTrainer(VariationalAutoencoder model, VaeTrainerOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new VaeTrainerOptions();
        Options.Validate();
        this.model = model;
        this.logger = logger ?? NullLogger.Instance;
        device = new Device(Options.Device);
        model.to(device);
        parameters = model.parameters().ToArray();
        optimizer = new FlatAdam(parameters, Options.LearningRate);
        fusedStep = FusedMlpStep.TryCreate(model, Options, optimizer.Parameters, optimizer.Gradients);
        shuffleGenerator = new Generator((ulong)Options.Seed, device.type == DeviceType.CUDA ? CPU : device);
        noiseGenerator = new Generator((ulong)Options.Seed + 1, device);
    }

    /// <summary>The hyper-parameters of this trainer.</summary>
    public VaeTrainerOptions Options { get; }

    /// <summary>The model being trained.</summary>
    public VariationalAutoencoder Model => model;

    /// <summary>
    /// Whether training steps run through the fused CPU kernels (see <see cref="VaeTrainerOptions.UseFusedCpuKernels"/>)
    /// rather than autograd.
    /// </summary>
    public bool UsesFusedCpuKernels => fusedStep is not null;

    /// <summary>Every completed epoch, including those restored from a checkpoint.</summary>
    public IReadOnlyList<EpochSummary> History => history;

    /// <summary>Epochs completed so far (restored from a checkpoint included).</summary>
    public int CompletedEpochs => state.CompletedEpochs;

    /// <summary>
    /// Trains on an in-memory data set, reshuffled every epoch, until <see cref="VaeTrainerOptions.Epochs"/> epochs are
    /// complete (counting those restored from a checkpoint) or early stopping ends the run.
    /// </summary>
    /// <param name="train">Training data <c>[N, InputSize]</c>, in [0, 1] for a Bernoulli model and finite for a Gaussian one; checked once, never disposed here.</param>
    /// <param name="validation">Held-out data for the per-epoch validation loss, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">The data has the wrong shape, contains NaN, or lies outside [0, 1] for a Bernoulli model.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite; the weights are those from before that step.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    public TrainingResult Fit(Tensor train, Tensor? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Guard.Features(train, model.Options.InputSize, nameof(train));
        Guard.Data(train, model.Options.Likelihood, nameof(train));
        if (train.shape[0] == 0) throw new ArgumentException("train holds no samples.", nameof(train));
        CheckValidation(validation);

        // On the trainer's device and contiguous, so that every batch can be gathered from it.
        Tensor? prepared = train.device == device ? null : train.to(device);
        if (!(prepared ?? train).is_contiguous())
        {
            var contiguous = (prepared ?? train).contiguous();
            prepared?.Dispose();
            prepared = contiguous;
        }
        try
        {
            var data = prepared ?? train;
            var count = data.shape[0];
            var batches = (int)((count + Options.BatchSize - 1) / Options.BatchSize);
            return Run(validation, progress, cancellationToken, batches, (_, permutation) => ShuffledBatches(data, permutation), count);
        }
        finally
        {
            prepared?.Dispose();
        }
    }

    /// <summary>
    /// Trains on batches the caller supplies: <paramref name="batchesForEpoch"/> is asked for each epoch's batches
    /// (its argument is the epoch, from 1). Tensors it creates while being enumerated belong to their step and are
    /// disposed after it; tensors it only hands out stay the caller's. Each batch's shape is checked; its values are
    /// the caller's to check once (in [0, 1] for a Bernoulli model), since a pass over every batch would slow every step. A NaN batch is
    /// caught by the guard against non-finite losses.
    /// For bit-exact resumes the source must give the same batches for the same epoch.
    /// </summary>
    /// <param name="batchesForEpoch">The batches of one epoch, each <c>[B, InputSize]</c> (in [0, 1] for a Bernoulli model).</param>
    /// <param name="validation">Held-out data for the per-epoch validation loss; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">A batch has the wrong shape.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite (a NaN batch, for one).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public TrainingResult Fit(Func<int, IEnumerable<Tensor>> batchesForEpoch, Tensor? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batchesForEpoch);
        CheckValidation(validation);
        return Run(validation, progress, cancellationToken, 0, (epoch, _) => CheckedBatches(batchesForEpoch(epoch)), null);
    }

    /// <summary>
    /// The mean negative ELBO (beta = 1) of a data set, in nats per sample, from one sample of z per input drawn with a
    /// generator seeded by <paramref name="seed"/>, so repeated calls agree.
    /// </summary>
    /// <param name="model">The model to evaluate.</param>
    /// <param name="data">Data <c>[N, InputSize]</c>, in [0, 1] for a Bernoulli model and finite for a Gaussian one.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="seed">Seed of the reparameterization noise.</param>
    /// <exception cref="ArgumentException">The data has the wrong shape, NaN, values outside [0, 1] for a Bernoulli model, or no samples.</exception>
    public static ElboMetrics Evaluate(VariationalAutoencoder model, Tensor data, int batchSize = 1000, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        Guard.Features(data, model.Options.InputSize, nameof(data));
        Guard.Data(data, model.Options.Likelihood, nameof(data));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return EvaluateUnchecked(model, data, batchSize, seed);
    }

    /// <summary>Writes the complete training state (weights, optimizer, position, random generators, history) atomically.</summary>
    /// <param name="path">The checkpoint file; an existing file is replaced only once the new one is complete.</param>
    public void SaveCheckpoint(string path)
    {
        var checkpoint = new TrainingCheckpoint(model.Options, Options, state, history, model, optimizer, shuffleGenerator, noiseGenerator, bestWeights);
        AtomicFile.Write(path, checkpoint.WriteTo);
        logger.LogDebug("Checkpoint written to {Path} after {Epochs} epoch(s) and {Batches} batch(es)", path, state.CompletedEpochs, state.BatchInEpoch);
    }

    /// <summary>
    /// Restores the state saved by <see cref="SaveCheckpoint"/>, so that <c>Fit</c> continues where that run stopped and
    /// ends with the same weights, bit for bit on the CPU, as a run that was never interrupted.
    /// </summary>
    /// <param name="path">A checkpoint written by <see cref="SaveCheckpoint"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is damaged, or is for another architecture.</exception>
    public void LoadCheckpoint(string path)
    {
        var checkpoint = TrainingCheckpoint.Read(path, model.Options);
        var best = checkpoint.TakeBestWeights(model); // checked before anything of the trainer changes
        checkpoint.Restore(model, optimizer, shuffleGenerator, noiseGenerator);
        state = checkpoint.State;
        history.Clear();
        history.AddRange(checkpoint.History);
        ReplaceBestWeights(best);
        logger.LogInformation("Resumed from {Path} after {Epochs} epoch(s)", path, state.CompletedEpochs);
    }

    /// <summary>
    /// Creates the model and a trainer from a checkpoint alone (the architecture and options are stored in it),
    /// ready for <c>Fit</c> to continue.
    /// </summary>
    /// <param name="path">A checkpoint written by <see cref="SaveCheckpoint"/>.</param>
    /// <param name="adjust">Changes to the stored options, e.g. more epochs; null keeps them.</param>
    /// <param name="logger">As for the constructor.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or is damaged.</exception>
    public static VaeTrainer Resume(string path, Func<VaeTrainerOptions, VaeTrainerOptions>? adjust = null, ILogger? logger = null)
    {
        var (architecture, options) = TrainingCheckpoint.ReadOptions(path);
        var model = new VariationalAutoencoder(architecture);
        var trainer = new VaeTrainer(model, adjust is null ? options : adjust(options), logger);
        trainer.LoadCheckpoint(path);
        return trainer;
    }

    /// <summary>Releases the optimizer, the generators and the saved best weights (not the model).</summary>
    public void Dispose()
    {
        optimizer.Dispose();
        fusedStep?.Dispose();
        shuffleGenerator.Dispose();
        noiseGenerator.Dispose();
        ReplaceBestWeights(null);
    }

    private TrainingResult Run(
        Tensor? validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        int batchesPerEpoch, Func<int, Tensor?, IEnumerable<TrainingBatch>> batchesOf, long? sampleCount)
    {
        if (Options.CpuThreads is { } threads) VaeRuntime.SetCpuThreads(threads);
        cpuThreads = Math.Max(1, VaeRuntime.CpuThreads);
        optimizer.Threads = cpuThreads;

        var clock = Stopwatch.StartNew();
        var stoppedEarly = false;
        optimizer.AttachParameters(parameters);
        optimizer.AttachGradients(parameters);
        model.train();
        for (var epoch = state.CompletedEpochs + 1; epoch <= Options.Epochs && !stoppedEarly; epoch++)
        {
            using var epochScope = NewDisposeScope();
            if (state.BatchInEpoch == 0)
                state = state with { ShuffleStateAtEpochStart = SaveGenerator(shuffleGenerator), Sums = default };
            else
                RestoreGenerator(shuffleGenerator, state.ShuffleStateAtEpochStart!);

            var permutation = sampleCount is { } n ? randperm(n, generator: shuffleGenerator, device: shuffleGenerator.device).to(device) : null;
            var epochClock = Stopwatch.StartNew();
            var trainedSamples = 0L;
            var batch = 0;
            foreach (var batchData in batchesOf(epoch, permutation))
            {
                batch++;
                if (batch <= state.BatchInEpoch) continue; // resumed mid-epoch: these were trained before the checkpoint
                if (cancellationToken.IsCancellationRequested)
                {
                    if (Options.CheckpointPath is { } path) SaveCheckpoint(path);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var step = TrainStep(batchData, epoch, batch, batchesPerEpoch);
                trainedSamples += step.Samples;
                state = state with { BatchInEpoch = batch, GlobalStep = state.GlobalStep + 1, Sums = state.Sums.Add(step) };
                if (state.GlobalStep % StepsBetweenCollections == 0) GC.Collect();
                progress?.Report(new TrainingProgress(
                    epoch, Options.Epochs, batch, batchesPerEpoch, step.Loss / step.Samples, step.Reconstruction / step.Samples,
                    step.Kl / step.Samples, trainedSamples / epochClock.Elapsed.TotalSeconds, clock.Elapsed, null));
            }
            epochClock.Stop();
            if (batch == 0) throw new ArgumentException($"The batch source gave no batches for epoch {epoch}.", "batchesForEpoch");

            var summary = FinishEpoch(epoch, validation, trainedSamples / epochClock.Elapsed.TotalSeconds, epochClock.Elapsed);
            stoppedEarly = Options.EarlyStoppingPatience > 0 && state.EpochsWithoutImprovement >= Options.EarlyStoppingPatience;
            if (Options.CheckpointPath is { } checkpointPath && (epoch % Options.CheckpointEveryEpochs == 0 || epoch == Options.Epochs || stoppedEarly))
                SaveCheckpoint(checkpointPath);
            progress?.Report(new TrainingProgress(
                epoch, Options.Epochs, batch, batchesPerEpoch, summary.Train.Loss, summary.Train.Reconstruction, summary.Train.Kl,
                summary.ImagesPerSecond, clock.Elapsed, summary));
        }

        if (validation is not null && Options.RestoreBestWeights && bestWeights is not null) LoadWeights(bestWeights);
        var best = history.Count == 0 ? 0
            : history.Where(h => h.Validation is not null).DefaultIfEmpty(history[^1]).MinBy(h => h.Validation?.Loss ?? 0)!.Epoch;
        return new TrainingResult(history.ToArray(), best, stoppedEarly, clock.Elapsed);
    }

    private StepResult TrainStep(TrainingBatch batch, int epoch, int batchIndex, int batchesPerEpoch)
    {
        using var scope = NewDisposeScope();
        var beta = BetaAt(state.GlobalStep, batchesPerEpoch);
        float loss, reconstruction, kl, gradientCheck;
        if (fusedStep is not null && batch.Source.dtype == ScalarType.Float32)
        {
            (loss, reconstruction, kl) = batch.Rows is { } rows
                ? fusedStep.Run(batch.Source, rows, beta, noiseGenerator, cpuThreads)
                : fusedStep.Run(batch.Source.contiguous(), beta, noiseGenerator, cpuThreads);
            gradientCheck = Options.MaxGradientNorm is { } maxNorm ? optimizer.ClipGradientNorm(maxNorm).item<float>() : optimizer.SumOfGradients();
        }
        else
        {
            var data = batch.Rows is { } rows ? batch.Source.index_select(0, rows) : batch.Source;
            optimizer.ZeroGrad();
            var output = model.Forward(data, noiseGenerator);
            // Summed over the batch like the reference implementation; Adam makes the step size independent of that scale.
            var terms = ElboLoss.NegativeElboUnchecked(output, data, beta, Reduction.Sum, Options.FreeBits);
            terms.Loss.backward();
            // One reduction over all gradients: a NaN or infinity anywhere makes it non-finite.
            var gradients = Options.MaxGradientNorm is { } maxNorm ? optimizer.ClipGradientNorm(maxNorm) : optimizer.Gradients.sum();
            var values = stack([terms.Loss, terms.Reconstruction, terms.Kl, gradients.to_type(terms.Loss.dtype)]).cpu().data<float>().ToArray();
            (loss, reconstruction, kl, gradientCheck) = (values[0], values[1], values[2], values[3]);
        }
        if (!float.IsFinite(loss) || !float.IsFinite(reconstruction) || !float.IsFinite(kl))
            throw new TrainingDivergedException(epoch, batchIndex, $"the loss is {loss} (reconstruction {reconstruction}, KL {kl})");
        if (!float.IsFinite(gradientCheck))
            throw new TrainingDivergedException(epoch, batchIndex, "a gradient is NaN or infinite");
        optimizer.Step();
        return new StepResult(batch.Count, loss, reconstruction, kl);
    }

    private double BetaAt(long step, int batchesPerEpoch)
    {
        if (Options.KlWarmupEpochs == 0) return Options.Beta;
        var stepsPerEpoch = batchesPerEpoch > 0 ? batchesPerEpoch : Math.Max(1, state.StepsPerEpochSeen);
        return Options.Beta * Math.Min(1.0, (step + 1.0) / (Options.KlWarmupEpochs * (double)stepsPerEpoch));
    }

    private EpochSummary FinishEpoch(int epoch, Tensor? validation, double imagesPerSecond, TimeSpan duration)
    {
        var sums = state.Sums;
        var train = new ElboMetrics(sums.Loss / sums.Samples, sums.Reconstruction / sums.Samples, sums.Kl / sums.Samples);
        ElboMetrics? validated = null;
        var isBest = false;
        var withoutImprovement = state.EpochsWithoutImprovement;
        if (validation is not null)
        {
            validated = Validate(validation);
            model.train();
            isBest = validated.Loss < state.BestValidationLoss;
            if (isBest)
            {
                ReplaceBestWeights(CopyWeights());
                withoutImprovement = 0;
            }
            else
            {
                withoutImprovement++;
            }
        }
        state = state with
        {
            CompletedEpochs = epoch,
            BatchInEpoch = 0,
            StepsPerEpochSeen = (int)sums.Steps,
            BestValidationLoss = isBest ? validated!.Loss : state.BestValidationLoss,
            EpochsWithoutImprovement = withoutImprovement,
            Sums = default,
        };
        var summary = new EpochSummary(epoch, train, validated, BetaAt(state.GlobalStep - 1, (int)sums.Steps), imagesPerSecond, duration, isBest,
            DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        history.Add(summary);
        logger.LogInformation(
            "Epoch {Epoch}/{Epochs}: train {Train:F2} nats, validation {Validation} nats, {Rate:F0} images/s",
            epoch, Options.Epochs, train.Loss, validated?.Loss.ToString("F2") ?? "-", imagesPerSecond);
        return summary;
    }

    // The validation loss as Evaluate computes it (batches of 1,000, noise seeded with Seed), through the fused step when
    // training uses it: the same figures to float rounding, in a third of the time.
    private ElboMetrics Validate(Tensor validation)
    {
        if (fusedStep is null || validation.dtype != ScalarType.Float32 || validation.device_type != DeviceType.CPU || !validation.is_contiguous())
            return EvaluateUnchecked(model, validation, 1000, Options.Seed);
        using var generator = new Generator((ulong)Options.Seed, device);
        var (reconstruction, kl) = fusedStep.Evaluate(validation, 1000, generator, cpuThreads);
        var count = validation.shape[0];
        return new ElboMetrics((reconstruction + kl) / count, reconstruction / count, kl / count);
    }

    internal static ElboMetrics EvaluateUnchecked(VariationalAutoencoder model, Tensor data, int batchSize, long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var modelDevice = model.Device;
        using var generator = new Generator((ulong)seed, modelDevice);
        model.eval();
        var count = data.shape[0];
        var total = zeros(3, dtype: ScalarType.Float64, device: modelDevice);
        for (long start = 0; start < count; start += batchSize)
        {
            using var batchScope = NewDisposeScope();
            var batch = data.narrow(0, start, Math.Min(batchSize, count - start)).to(modelDevice);
            var terms = ElboLoss.NegativeElboUnchecked(model.Forward(batch, generator), batch, 1.0, Reduction.Sum);
            total.add_(stack([terms.Loss, terms.Reconstruction, terms.Kl]).to_type(ScalarType.Float64));
        }
        var sums = total.cpu().data<double>().ToArray();
        return new ElboMetrics(sums[0] / count, sums[1] / count, sums[2] / count);
    }

    // Each batch as its rows of the data: gathered inside its step (by the fused step without a new tensor), so that
    // batches skipped on a resume cost nothing and no batch outlives its step.
    private IEnumerable<TrainingBatch> ShuffledBatches(Tensor data, Tensor? permutation)
    {
        var count = data.shape[0];
        for (long start = 0; start < count; start += Options.BatchSize)
            yield return new TrainingBatch(data, permutation!.narrow(0, start, Math.Min(Options.BatchSize, count - start)));
    }

    // Only the shape is checked per batch: a pass over the values every step would cost what the data check saves.
    // NaN still cannot slip through: the step's finiteness guard reports it.
    private IEnumerable<TrainingBatch> CheckedBatches(IEnumerable<Tensor> batches)
    {
        foreach (var batch in batches)
        {
            Guard.Features(batch, model.Options.InputSize, "batch");
            yield return new TrainingBatch(batch.device == device ? batch : batch.to(device), null);
        }
    }

    private void CheckValidation(Tensor? validation)
    {
        if (validation is null) return;
        Guard.Features(validation, model.Options.InputSize, nameof(validation));
        Guard.Data(validation, model.Options.Likelihood, nameof(validation));
        if (validation.shape[0] == 0) throw new ArgumentException("validation holds no samples.", nameof(validation));
    }

    private Dictionary<string, Tensor> CopyWeights()
    {
        using var noGrad = no_grad();
        return model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
    }

    private void LoadWeights(Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.state_dict()) tensor.copy_(weights[name]);
    }

    private void ReplaceBestWeights(Dictionary<string, Tensor>? weights)
    {
        if (bestWeights is not null)
            foreach (var tensor in bestWeights.Values) tensor.Dispose();
        bestWeights = weights;
    }

    private static byte[] SaveGenerator(Generator generator)
    {
        using var stateTensor = generator.get_state();
        return stateTensor.data<byte>().ToArray();
    }

    internal static void RestoreGenerator(Generator generator, byte[] bytes)
    {
        using var stateTensor = tensor(bytes, dtype: ScalarType.Byte);
        generator.set_state(stateTensor);
    }

    /// <summary>A batch: the rows <see cref="Rows"/> of <see cref="Source"/>, or all of <see cref="Source"/> when null.</summary>
    private readonly record struct TrainingBatch(Tensor Source, Tensor? Rows)
    {
        public long Count => Rows?.shape[0] ?? Source.shape[0];
    }

    internal readonly record struct StepResult(long Samples, double Loss, double Reconstruction, double Kl);

    /// <summary>Where a run stands: everything beyond weights, optimizer and generators that a resume needs.</summary>
    internal sealed record TrainingState
    {
        public static readonly TrainingState Fresh = new();

        public int CompletedEpochs { get; init; }
        public int BatchInEpoch { get; init; }
        public long GlobalStep { get; init; }
        public int StepsPerEpochSeen { get; init; }
        public double BestValidationLoss { get; init; } = double.PositiveInfinity;
        public int EpochsWithoutImprovement { get; init; }
        public byte[]? ShuffleStateAtEpochStart { get; init; }
        public EpochSums Sums { get; init; }
    }

    /// <summary>Running totals of the current epoch's training loss (nats, summed over samples).</summary>
    internal readonly record struct EpochSums(long Steps, long Samples, double Loss, double Reconstruction, double Kl)
    {
        public EpochSums Add(StepResult step) =>
            new(Steps + 1, Samples + step.Samples, Loss + step.Loss, Reconstruction + step.Reconstruction, Kl + step.Kl);
    }
}
