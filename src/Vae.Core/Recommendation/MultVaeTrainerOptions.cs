namespace Vae.Core.Recommendation;

/// <summary>
/// How <see cref="MultVaeTrainer"/> trains. The defaults are those of the reference code (github.com/dawenl/vae_cf):
/// 200 epochs of Adam at 1e-3 on batches of 500 users, the KL weight raised by 1/200,000 per step up to 0.2, no
/// weight penalty, validation every epoch on 2,000 users at a time, and the weights of the best epoch kept.
/// </summary>
public sealed record MultVaeTrainerOptions
{
    /// <summary>The most epochs to train. Default 200.</summary>
    /// <value>Defaults to <c>200</c>.</value>
    public int Epochs { get; init; } = 200;

    /// <summary>Training users per optimizer step. Default 500.</summary>
    /// <value>Defaults to <c>500</c>.</value>
    public int BatchSize { get; init; } = 500;

    /// <summary>Adam's learning rate. Default 1e-3.</summary>
    /// <value>Defaults to <c>1e-3</c>.</value>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The largest KL weight β (the reference's anneal_cap). Default 0.2.</summary>
    /// <value>Defaults to <c>0.2</c>.</value>
    public double AnnealCap { get; init; } = 0.2;

    /// <summary>
    /// The KL weight of step t (counted from 1) is min(<see cref="AnnealCap"/>, t / TotalAnnealSteps), as in the
    /// reference (which counts from 0, so each of its steps weighs 1/TotalAnnealSteps less); the cap is reached after
    /// AnnealCap x TotalAnnealSteps steps. 0 uses the cap from the first step. Default 200,000.
    /// </summary>
    /// <value>Defaults to <c>200000</c>.</value>
    public long TotalAnnealSteps { get; init; } = 200_000;

    /// <summary>
    /// The reference's lam: the loss adds lam x the sum of squared weights (not biases). 0 for Mult-VAE in the
    /// reference. Default 0.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public double L2Regularization { get; init; }

    /// <summary>Stop after this many epochs without a better validation NDCG@100; null trains every epoch (the reference). Default null.</summary>
    /// <value>Defaults to null.</value>
    public int? Patience { get; init; }

    /// <summary>Users scored at once during validation. Default 2,000.</summary>
    /// <value>Defaults to <c>2000</c>.</value>
    public int EvaluationBatchSize { get; init; } = 2000;

    /// <summary>The seed of the shuffles, the dropout masks and the noise of z (the initial weights have the model's own seed). Default 98765 (the reference's).</summary>
    /// <value>Defaults to <c>98765</c>.</value>
    public int Seed { get; init; } = 98765;

    /// <summary>
    /// Where to write a checkpoint (atomically, replacing the last) every <see cref="CheckpointEveryEpochs"/> epochs,
    /// at the end and on cancellation; <see cref="VaeRecommenderTrainer{TModel}.Resume"/> continues from it. Null writes none. Default null.
    /// </summary>
    /// <value>Defaults to null.</value>
    public string? CheckpointPath { get; init; }

    /// <summary>Epochs between checkpoints when <see cref="CheckpointPath"/> is set. Default 1.</summary>
    /// <value>Defaults to <c>1</c>.</value>
    public int CheckpointEveryEpochs { get; init; } = 1;

    /// <summary>Code run at the end of every epoch and after every checkpoint (e.g. <see cref="TensorBoardCallback"/>). Default none.</summary>
    /// <value>Defaults to <c>[]</c>.</value>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init => field = ValueList<ITrainingCallback>.Of(value); } = ValueList<ITrainingCallback>.Of([]);

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvaluationBatchSize, nameof(EvaluationBatchSize));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
        if (!(AnnealCap >= 0) || !double.IsFinite(AnnealCap))
            throw new ArgumentOutOfRangeException(nameof(AnnealCap), AnnealCap, "The anneal cap must be finite and not negative.");
        ArgumentOutOfRangeException.ThrowIfNegative(TotalAnnealSteps, nameof(TotalAnnealSteps));
        if (!(L2Regularization >= 0) || !double.IsFinite(L2Regularization))
            throw new ArgumentOutOfRangeException(nameof(L2Regularization), L2Regularization, "The L2 regularization must be finite and not negative.");
        if (Patience is { } patience)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(patience, nameof(Patience));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CheckpointEveryEpochs, nameof(CheckpointEveryEpochs));
        ArgumentNullException.ThrowIfNull(Callbacks, nameof(Callbacks));
    }

    /// <summary>
    /// These options as <see cref="VaeTrainer"/>'s: the anneal as a KL warm-up of AnnealCap x TotalAnnealSteps steps up
    /// to the cap, patience as early stopping, the best weights restored at the end.
    /// </summary>
    internal VaeTrainerOptions ToTrainerOptions() => new()
    {
        Epochs = Epochs,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        Beta = AnnealCap,
        KlWarmupSteps = TotalAnnealSteps == 0 || AnnealCap == 0 ? 0 : Math.Max(1, (long)Math.Round(AnnealCap * TotalAnnealSteps)),
        EarlyStoppingPatience = Patience ?? 0,
        RestoreBestWeights = true,
        Seed = Seed,
        CheckpointPath = CheckpointPath,
        CheckpointEveryEpochs = CheckpointEveryEpochs,
        Callbacks = Callbacks,
    };

    /// <summary>The reference's KL weight of optimizer step <paramref name="step"/>, counted from 0.</summary>
    internal double AnnealAt(long step) =>
        TotalAnnealSteps == 0 ? AnnealCap : Math.Min(AnnealCap, (double)step / TotalAnnealSteps);
}
