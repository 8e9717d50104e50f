using System.Text.Json.Serialization;

namespace Vae.Core;

/// <summary>How <see cref="VaeTrainer"/> trains: the hyper-parameters of the epoch loop and its optimizer.</summary>
public sealed record VaeTrainerOptions
{
    /// <summary>Number of passes over the training data.</summary>
    /// <value>Defaults to <c>10</c>.</value>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per optimizer step; the last, partial batch of an epoch is kept.</summary>
    /// <value>Defaults to <c>128</c>.</value>
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam's learning rate: that of every epoch, or the base rate a <see cref="LearningRateSchedule"/> starts from.</summary>
    /// <value>Defaults to <c>1e-3</c>.</value>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// Decoupled weight decay, as <c>torch.optim.AdamW</c>'s <c>weight_decay</c>: before each Adam update every weight
    /// (biases included) is multiplied by <c>1 - lr * WeightDecay</c>, with lr the rate in force. 0 (the default) is
    /// plain Adam. PyTorch's AdamW defaults to 0.01.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public double WeightDecay { get; init; }

    /// <summary>
    /// Trains while keeping an exponential moving average of the weights (Polyak averaging; PyTorch's
    /// <c>AveragedModel</c> with <c>get_ema_multi_avg_fn(decay)</c>): after every optimizer step
    /// <c>average = decay * average + (1 - decay) * weights</c>, from the weights training starts with. Validation, the
    /// best weights and the callbacks see the average, and training ends with it in the model (or with the best epoch's
    /// average under <see cref="RestoreBestWeights"/>); the optimizer keeps stepping the weights themselves, so the run
    /// is the same one as without it. Checkpoints store the average. 0.99-0.999 averages over roughly the last 100-1,000
    /// steps. Null (the default) keeps no average.
    /// </summary>
    /// <value>Defaults to null.</value>
    public double? WeightAverageDecay { get; init; }

    /// <summary>
    /// How the learning rate changes from epoch to epoch: <see cref="StepLearningRateSchedule"/>,
    /// <see cref="CosineAnnealingSchedule"/> or <see cref="ReduceOnPlateauSchedule"/> (which needs validation data);
    /// null (the default) keeps <see cref="LearningRate"/> throughout.
    /// </summary>
    /// <value>Defaults to null.</value>
    public LearningRateSchedule? LearningRateSchedule { get; init; }

    /// <summary>Weight of the KL term (beta-VAE); 1 trains on the plain ELBO.</summary>
    /// <value>Defaults to <c>1.0</c>.</value>
    public double Beta { get; init; } = 1.0;

    /// <summary>
    /// Free bits in nats per latent dimension: the training loss uses <see cref="ElboLoss.FreeBitsKl"/>, the KL of each
    /// dimension averaged over the batch and floored at this value, so no dimension is pushed below it (against posterior
    /// collapse); 0 (the default) trains on the plain KL. Validation and <see cref="VaeEvaluation.Evaluate"/> report the true ELBO.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public double FreeBits { get; init; }

    /// <summary>
    /// Epochs over which the KL weight ramps linearly up to <see cref="Beta"/>, step by step: with S steps per epoch,
    /// step k (from 1) weighs the KL by <c>Beta * min(1, k / (KlWarmupEpochs * S))</c>. 0 for none. S is the batch count
    /// of in-memory data, or the count of the first epoch's sequence from a batch source (which must then have one;
    /// see <see cref="KlWarmupSteps"/> otherwise).
    /// </summary>
    /// <value>Defaults to 0.</value>
    public int KlWarmupEpochs { get; init; }

    /// <summary>
    /// The warm-up in optimizer steps instead of epochs: step k (from 1) weighs the KL by <c>Beta * min(1, k / KlWarmupSteps)</c>.
    /// For batch sources whose length is not known before they are enumerated. 0 (the default) uses <see cref="KlWarmupEpochs"/>;
    /// set at most one of the two.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public long KlWarmupSteps { get; init; }

    /// <summary>Clip the global gradient norm to this value before each step; null for no clipping.</summary>
    /// <value>Defaults to null.</value>
    public double? MaxGradientNorm { get; init; }

    /// <summary>Seed of the shuffling and of the reparameterization noise (the weights are seeded by the caller, e.g. <c>torch.manual_seed</c>).</summary>
    /// <value>Defaults to <c>1</c>.</value>
    public long Seed { get; init; } = 1;

    /// <summary>Device to train on, as TorchSharp names it (<c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>). CUDA needs an app that references a CUDA backend package.</summary>
    /// <value>Defaults to <c>"cpu"</c>.</value>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// libtorch's CPU threads, set for the whole process when training starts; null keeps the process's setting
    /// (libtorch's default is the number of physical cores; see README's performance section).
    /// </summary>
    /// <value>Defaults to null.</value>
    public int? CpuThreads { get; init; }

    /// <summary>
    /// On an x86-64 CPU with AVX-512 (or AVX2 and FMA), train an MLP (Bernoulli or Gaussian likelihood, no free bits)
    /// through the library's fused step: forward pass, loss and gradients worked by hand with its own matrix kernels
    /// instead of autograd and libtorch's BLAS, about twice as fast (1.5 times with AVX2 alone). The results are those of the autograd path to float rounding. True by default;
    /// false always uses autograd.
    /// </summary>
    /// <value>Defaults to <c>true</c>.</value>
    public bool UseFusedCpuKernels { get; init; } = true;

    /// <summary>
    /// With <see cref="UseFusedCpuKernels"/>, also train a convolutional model (ReLU, Bernoulli or Gaussian likelihood,
    /// no dropout or layer normalization, unconditional) through the library's fused step: im2col and col2im into its
    /// matrix kernels, with autograd's gradients to float rounding. True by default: on the shipped digits, 2 idle AVX2
    /// cores, it trained at 2,596-2,663 images/s against autograd's 2,078-2,459 (<c>Vae.Benchmarks conv</c>), and beside
    /// busy processes it held up better. False trains convolutional models through autograd.
    /// </summary>
    /// <value>Defaults to <c>true</c>.</value>
    public bool UseFusedConvolutionalStep { get; init; } = true;

    /// <summary>
    /// With more than one CPU thread, let the fused steps (<see cref="UseFusedCpuKernels"/>) train on half the threads
    /// while that is faster: they time four steps with each count and keep the faster until the next look, which comes
    /// after 200 steps, or after 20 when the steps' speed has moved by half since the last (busy processes arrived or
    /// left). Their results do not depend on the thread count, so this changes no bit of training, only its speed:
    /// beside busy processes one thread trained the convolutional model faster than two on the 2-core machine measured
    /// (<c>Vae.Benchmarks conv --max-load 2</c>), while on an idle machine the looks cost about 2% of the steps' time.
    /// False always uses <see cref="CpuThreads"/> (or <see cref="VaeRuntime.CpuThreads"/>) threads.
    /// </summary>
    /// <value>Defaults to <c>true</c>.</value>
    public bool AdaptCpuThreads { get; init; } = true;

    /// <summary>Stop when the validation loss has not improved for this many epochs; 0 never stops early.</summary>
    /// <value>Defaults to 0.</value>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>When validation data is given, end training with the weights of the best validation epoch.</summary>
    /// <value>Defaults to <c>true</c>.</value>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>Where to write checkpoints (atomically); null writes none.</summary>
    /// <value>Defaults to null.</value>
    public string? CheckpointPath { get; init; }

    /// <summary>Write a checkpoint every this many epochs (and always on cancellation and at the end).</summary>
    /// <value>Defaults to <c>1</c>.</value>
    public int CheckpointEveryEpochs { get; init; } = 1;

    /// <summary>
    /// The bound training maximizes: the ELBO (the default) or the importance-weighted bound with
    /// <see cref="ImportanceSamples"/> samples (<see cref="VaeObjective.Iwae"/>, autograd only, no free bits). The
    /// reported training loss is the negative of that bound; validation always reports the ELBO.
    /// </summary>
    /// <value>Defaults to <see cref="VaeObjective.Elbo"/>.</value>
    public VaeObjective Objective { get; init; } = VaeObjective.Elbo;

    /// <summary>The number of samples k of z per input for <see cref="VaeObjective.Iwae"/> (cost grows about k-fold); unused by the ELBO.</summary>
    /// <value>Defaults to <c>5</c>.</value>
    public int ImportanceSamples { get; init; } = 5;

    /// <summary>
    /// Code run at the end of every epoch and after every checkpoint the trainer writes, in this order, on the training
    /// thread; one may stop the run (<see cref="EpochContext.RequestStop"/>). Empty by default. Checkpoints do not store
    /// callbacks: give them again when resuming (<c>VaeTrainer.Resume(path, o =&gt; o with { Callbacks = [...] })</c>).
    /// </summary>
    /// <value>Defaults to <c>[]</c>.</value>
    [JsonIgnore]
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init => field = ValueList<ITrainingCallback>.Of(value); } = ValueList<ITrainingCallback>.Of([]);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (Epochs <= 0) throw Bad(nameof(Epochs), Epochs, "must be at least 1");
        if (BatchSize <= 0) throw Bad(nameof(BatchSize), BatchSize, "must be at least 1");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) throw Bad(nameof(LearningRate), LearningRate, "must be positive and finite");
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0) throw Bad(nameof(WeightDecay), WeightDecay, "must be non-negative and finite");
        if (WeightAverageDecay is { } decay && !(decay > 0 && decay < 1)) throw Bad(nameof(WeightAverageDecay), decay, "must lie strictly between 0 and 1, or be null");
        if (LearningRateSchedule is { } schedule)
        {
            try
            {
                schedule.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{nameof(LearningRateSchedule)}: {e.Message}", nameof(LearningRateSchedule), e);
            }
        }
        if (Callbacks is null || Callbacks.Any(c => c is null)) throw Bad(nameof(Callbacks), Callbacks is null ? null : "a list holding null", "must be a list of callbacks without null");
        if (!double.IsFinite(Beta) || Beta < 0) throw Bad(nameof(Beta), Beta, "must be non-negative and finite");
        if (!double.IsFinite(FreeBits) || FreeBits < 0) throw Bad(nameof(FreeBits), FreeBits, "must be non-negative and finite");
        if (KlWarmupEpochs < 0) throw Bad(nameof(KlWarmupEpochs), KlWarmupEpochs, "must not be negative");
        if (KlWarmupSteps < 0) throw Bad(nameof(KlWarmupSteps), KlWarmupSteps, "must not be negative");
        if (KlWarmupSteps > 0 && KlWarmupEpochs > 0) throw Bad(nameof(KlWarmupSteps), KlWarmupSteps, $"cannot be set together with KlWarmupEpochs ({KlWarmupEpochs}): give the warm-up in epochs or in steps");
        if (MaxGradientNorm is { } norm && (!double.IsFinite(norm) || norm <= 0)) throw Bad(nameof(MaxGradientNorm), norm, "must be positive and finite, or null");
        if (CpuThreads is { } threads && (threads <= 0 || threads > VaeRuntime.MaxCpuThreads))
            throw new ArgumentOutOfRangeException(nameof(CpuThreads), threads, $"{nameof(CpuThreads)} must be from 1 to {VaeRuntime.MaxCpuThreads} (4 x the {Environment.ProcessorCount} logical processors), or null, but was {threads}.");
        if (EarlyStoppingPatience < 0) throw Bad(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must not be negative");
        if (CheckpointEveryEpochs <= 0) throw Bad(nameof(CheckpointEveryEpochs), CheckpointEveryEpochs, "must be at least 1");
        if (!Enum.IsDefined(Objective)) throw Bad(nameof(Objective), (int)Objective, $"must be a {nameof(VaeObjective)}");
        if (ImportanceSamples <= 0) throw Bad(nameof(ImportanceSamples), ImportanceSamples, "must be at least 1");
        if (Objective == VaeObjective.Iwae && FreeBits != 0) throw Bad(nameof(FreeBits), FreeBits, "must be 0 with the Iwae objective, whose bound has no separate KL term to floor");
        if (string.IsNullOrWhiteSpace(Device)) throw Bad(nameof(Device), Device, "must name a device such as cpu or cuda");
    }

    private static ArgumentException Bad(string name, object? value, string rule) =>
        new($"{name} {rule}, but was {value ?? "null"}.", name);
}
