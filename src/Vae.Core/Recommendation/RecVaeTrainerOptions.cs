namespace Vae.Core.Recommendation;

/// <summary>
/// How <see cref="RecVaeTrainer"/> trains. The defaults are those of RecVAE's reference code and its ML-20M command
/// (github.com/ilya-shenbin/RecVAE, run.py with <c>--n-epochs 50 --gamma 0.005</c>): 50 epochs, each three encoder
/// passes over the shuffled training users and one decoder pass, two Adam optimisers at 5e-4, batches of 500, the KL
/// weight of a user gamma x the user's clicks, validation NDCG@100 after every epoch and the best epoch's weights kept.
/// </summary>
public sealed record RecVaeTrainerOptions
{
    /// <summary>The most RecVAE epochs to train (each <see cref="EncoderPasses"/> + <see cref="DecoderPasses"/> passes over the data). Default 50.</summary>
    /// <value>Defaults to <c>50</c>.</value>
    public int Epochs { get; init; } = 50;

    /// <summary>Passes over the training users per epoch that update the encoder (run.py's n_enc_epochs). Default 3.</summary>
    /// <value>Defaults to <c>3</c>.</value>
    public int EncoderPasses { get; init; } = 3;

    /// <summary>Passes over the training users per epoch that update the decoder (run.py's n_dec_epochs). Default 1.</summary>
    /// <value>Defaults to <c>1</c>.</value>
    public int DecoderPasses { get; init; } = 1;

    /// <summary>
    /// Whether an encoder pass's reconstruction term counts only the clicks that pass's input dropout removed, instead of
    /// every click of the user (false, the reference's). The encoder then learns what a recommendation asks of it, the
    /// clicks the visible ones do not show, and is not paid for copying its input through; decoder passes, which see
    /// every click, reconstruct every click either way. Without input dropout (<see cref="RecVaeOptions.InputDropout"/> 0)
    /// no click is removed and the option has no effect. Default false.
    /// </summary>
    /// <value>Defaults to false.</value>
    public bool PredictDroppedClicks { get; init; }

    /// <summary>Training users per optimizer step. Default 500.</summary>
    /// <value>Defaults to <c>500</c>.</value>
    public int BatchSize { get; init; } = 500;

    /// <summary>The learning rate of both Adam optimisers. Default 5e-4.</summary>
    /// <value>Defaults to <c>5e-4</c>.</value>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>
    /// How the learning rate of both optimisers changes over the run; null keeps <see cref="LearningRate"/> throughout
    /// (the reference). A schedule steps once per pass over the data: a <see cref="CosineAnnealingSchedule"/> with no
    /// <see cref="CosineAnnealingSchedule.Epochs"/> anneals over all <see cref="Epochs"/> x (<see cref="EncoderPasses"/> +
    /// <see cref="DecoderPasses"/>) passes. A <see cref="ReduceOnPlateauSchedule"/> counts validations, one per RecVAE epoch. Default null.
    /// </summary>
    /// <value>Defaults to null.</value>
    public LearningRateSchedule? LearningRateSchedule { get; init; }

    /// <summary>
    /// The decoupled weight decay of both optimisers (AdamW's): before each update every weight of the group being
    /// trained is multiplied by 1 - lr x this. 0 (the default, the reference's) leaves Adam's updates as they are.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public double WeightDecay { get; init; }

    /// <summary>
    /// Keeps an exponential moving average of the weights over the updates of both optimisers
    /// (<see cref="VaeTrainerOptions.WeightAverageDecay"/>): validation, the kept epoch and the trained model are the
    /// average's, while training steps the weights themselves (and the prior's frozen copy is taken from them). Null (the
    /// default, the reference's) keeps none.
    /// </summary>
    /// <value>Defaults to null.</value>
    public double? WeightAverageDecay { get; init; }

    /// <summary>gamma: a user's KL weight is gamma times the number of the user's clicks. Default 0.005.</summary>
    /// <value>Defaults to <c>0.005</c>.</value>
    public double Gamma { get; init; } = 0.005;

    /// <summary>Stop after this many epochs without a better validation NDCG@100; null trains every epoch (the reference). Default null.</summary>
    /// <value>Defaults to null.</value>
    public int? Patience { get; init; }

    /// <summary>Users scored at once during validation. Default 2,000.</summary>
    /// <value>Defaults to <c>2000</c>.</value>
    public int EvaluationBatchSize { get; init; } = 2000;

    /// <summary>The seed of the shuffles, the dropout masks and the noise of z (the initial weights have the model's own seed). Default 1337 (the reference's).</summary>
    /// <value>Defaults to <c>1337</c>.</value>
    public int Seed { get; init; } = 1337;

    /// <summary>
    /// Where to write a checkpoint (atomically, replacing the last) every <see cref="CheckpointEveryEpochs"/> epochs, at
    /// the end and on cancellation; <see cref="VaeRecommenderTrainer{TModel}.Resume"/> continues from it. Null writes none. Default null.
    /// </summary>
    /// <value>Defaults to null.</value>
    public string? CheckpointPath { get; init; }

    /// <summary>RecVAE epochs between checkpoints when <see cref="CheckpointPath"/> is set. Default 1.</summary>
    /// <value>Defaults to <c>1</c>.</value>
    public int CheckpointEveryEpochs { get; init; } = 1;

    /// <summary>Code run at the end of every pass and after every checkpoint (e.g. <see cref="TensorBoardCallback"/>). Default none.</summary>
    /// <value>Defaults to <c>[]</c>.</value>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init => field = ValueList<ITrainingCallback>.Of(value); } = ValueList<ITrainingCallback>.Of([]);

    /// <summary>Passes over the data per RecVAE epoch.</summary>
    internal int PassesPerEpoch => EncoderPasses + DecoderPasses;

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EncoderPasses, nameof(EncoderPasses));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DecoderPasses, nameof(DecoderPasses));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvaluationBatchSize, nameof(EvaluationBatchSize));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
        if (!(Gamma >= 0) || !double.IsFinite(Gamma))
            throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Gamma must be finite and not negative.");
        if (Patience is { } patience)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(patience, nameof(Patience));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CheckpointEveryEpochs, nameof(CheckpointEveryEpochs));
        ArgumentNullException.ThrowIfNull(Callbacks, nameof(Callbacks));
        LearningRateSchedule?.Validate();
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "The weight decay must be finite and not negative.");
        if (WeightAverageDecay is { } decay && !(decay > 0 && decay < 1))
            throw new ArgumentOutOfRangeException(nameof(WeightAverageDecay), decay, "The weight average's decay must lie strictly between 0 and 1.");
        _ = checked(Epochs * PassesPerEpoch);
    }

    /// <summary>These options as <see cref="VaeTrainer"/>'s: one trainer epoch per pass, gamma as the (constant) KL weight.</summary>
    internal VaeTrainerOptions ToTrainerOptions() => new()
    {
        Epochs = Epochs * PassesPerEpoch,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        LearningRateSchedule = LearningRateSchedule,
        WeightDecay = WeightDecay,
        WeightAverageDecay = WeightAverageDecay,
        Beta = Gamma,
        KlWarmupSteps = 0,
        EarlyStoppingPatience = Patience ?? 0,
        RestoreBestWeights = true,
        Seed = Seed,
        CheckpointPath = CheckpointPath,
        CheckpointEveryEpochs = CheckpointEveryEpochs * PassesPerEpoch,
        Callbacks = Callbacks,
    };
}
