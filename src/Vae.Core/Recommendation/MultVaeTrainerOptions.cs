namespace Vae.Core.Recommendation;

/// <summary>
/// How <see cref="MultVaeTrainer"/> trains. The defaults are those of the reference code (github.com/dawenl/vae_cf):
/// 200 epochs of Adam at 1e-3 on batches of 500 users, the KL weight raised by 1/200,000 per step up to 0.2, no
/// weight penalty, validation every epoch on 2,000 users at a time, and the weights of the best epoch kept.
/// </summary>
public sealed record MultVaeTrainerOptions
{
    /// <summary>The most epochs to train. Default 200.</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>Training users per optimizer step. Default 500.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Adam's learning rate. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The largest KL weight β (the reference's anneal_cap). Default 0.2.</summary>
    public double AnnealCap { get; init; } = 0.2;

    /// <summary>
    /// The KL weight of step t (counted from 0) is min(<see cref="AnnealCap"/>, t / TotalAnnealSteps), as in the
    /// reference; so the cap is reached after AnnealCap x TotalAnnealSteps steps. 0 uses the cap from the first step.
    /// Default 200,000.
    /// </summary>
    public long TotalAnnealSteps { get; init; } = 200_000;

    /// <summary>
    /// The reference's lam: the loss adds lam x the sum of squared weights (not biases). 0 for Mult-VAE in the
    /// reference. Default 0.
    /// </summary>
    public double L2Regularization { get; init; }

    /// <summary>Stop after this many epochs without a better validation NDCG@100; null trains every epoch (the reference). Default null.</summary>
    public int? Patience { get; init; }

    /// <summary>Users scored at once during validation. Default 2,000.</summary>
    public int EvaluationBatchSize { get; init; } = 2000;

    /// <summary>The seed of the initial weights, the shuffles, the dropout masks and the noise of z. Default 98765 (the reference's).</summary>
    public int Seed { get; init; } = 98765;

    internal void Check()
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
    }

    /// <summary>The KL weight of optimizer step <paramref name="step"/>, counted from 0.</summary>
    internal double AnnealAt(long step) =>
        TotalAnnealSteps == 0 ? AnnealCap : Math.Min(AnnealCap, (double)step / TotalAnnealSteps);
}
