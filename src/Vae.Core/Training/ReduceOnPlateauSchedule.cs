namespace Vae.Core;

/// <summary>
/// Lowers the learning rate when the validation loss stops improving, as PyTorch's <c>ReduceLROnPlateau</c> (mode
/// <c>min</c>, relative threshold) stepped with each epoch's validation loss: an epoch improves when its loss is below
/// <c>best * (1 - Threshold)</c>; after more than <see cref="Patience"/> epochs without improvement the rate is
/// multiplied by <see cref="Factor"/> (not below <see cref="MinimumLearningRate"/>), and the next
/// <see cref="Cooldown"/> epochs count no bad epochs. Needs validation data in <c>Fit</c>.
/// </summary>
public sealed record ReduceOnPlateauSchedule : LearningRateSchedule
{
    // PyTorch's eps: a reduction smaller than this is not made.
    private const double SmallestChange = 1e-8;

    /// <summary>The factor of each reduction, in (0, 1); 0.1 by default.</summary>
    /// <value>Defaults to <c>0.1</c>.</value>
    public double Factor { get; init; } = 0.1;

    /// <summary>Epochs without improvement that are tolerated; the next one reduces the rate. 10 by default.</summary>
    /// <value>Defaults to <c>10</c>.</value>
    public int Patience { get; init; } = 10;

    /// <summary>The relative improvement that counts, in [0, 1); 1e-4 by default.</summary>
    /// <value>Defaults to <c>1e-4</c>.</value>
    public double Threshold { get; init; } = 1e-4;

    /// <summary>Epochs after a reduction during which no bad epochs are counted; 0 by default.</summary>
    /// <value>Defaults to 0.</value>
    public int Cooldown { get; init; }

    /// <summary>The rate is never reduced below this; 0 by default.</summary>
    /// <value>Defaults to 0.</value>
    public double MinimumLearningRate { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        const string name = nameof(ReduceOnPlateauSchedule);
        if (!double.IsFinite(Factor) || Factor <= 0 || Factor >= 1) throw Bad(name, nameof(Factor), Factor, "must lie in (0, 1)");
        if (Patience < 0) throw Bad(name, nameof(Patience), Patience, "must not be negative");
        if (!double.IsFinite(Threshold) || Threshold < 0 || Threshold >= 1) throw Bad(name, nameof(Threshold), Threshold, "must lie in [0, 1)");
        if (Cooldown < 0) throw Bad(name, nameof(Cooldown), Cooldown, "must not be negative");
        if (!double.IsFinite(MinimumLearningRate) || MinimumLearningRate < 0)
            throw Bad(name, nameof(MinimumLearningRate), MinimumLearningRate, "must be non-negative and finite");
    }

    // The rate as the last epoch's validation left it.
    internal override double StartOfEpoch(double learningRate, int epoch, int runEpochs, double? lastRate) => lastRate ?? learningRate;

    internal override bool FollowsValidationLoss => true;

    internal override TrainingState AfterValidation(TrainingState state, double learningRate, double loss)
    {
        var after = After(new PlateauState(learningRate, state.PlateauBest, state.PlateauBadEpochs, state.PlateauCooldown), loss);
        return state with { LearningRate = after.LearningRate, PlateauBest = after.Best, PlateauBadEpochs = after.BadEpochs, PlateauCooldown = after.Cooldown };
    }

    /// <summary>The state after an epoch with validation loss <paramref name="loss"/> (PyTorch's <c>step(metrics)</c>).</summary>
    internal PlateauState After(PlateauState state, double loss)
    {
        var (learningRate, best, badEpochs, cooldown) = state;
        if (loss < best * (1 - Threshold))
        {
            best = loss;
            badEpochs = 0;
        }
        else
        {
            badEpochs++;
        }
        if (cooldown > 0)
        {
            cooldown--;
            badEpochs = 0;
        }
        if (badEpochs > Patience)
        {
            var reduced = Math.Max(learningRate * Factor, MinimumLearningRate);
            if (learningRate - reduced > SmallestChange) learningRate = reduced;
            cooldown = Cooldown;
            badEpochs = 0;
        }
        return new PlateauState(learningRate, best, badEpochs, cooldown);
    }
}

/// <summary>What <see cref="ReduceOnPlateauSchedule"/> carries from epoch to epoch (and checkpoints store).</summary>
/// <param name="LearningRate">The rate of the next epoch.</param>
/// <param name="Best">The lowest validation loss so far; +infinity before the first.</param>
/// <param name="BadEpochs">Epochs since the last improvement (or reduction).</param>
/// <param name="Cooldown">Epochs of cooldown left.</param>
internal readonly record struct PlateauState(double LearningRate, double Best, int BadEpochs, int Cooldown);
