namespace Vae.Core;

/// <summary>
/// The KL weight of every optimizer step: a linear ramp that reaches <see cref="Beta"/> on step
/// <see cref="WarmupSteps"/> (counted from 1) and stays there; no ramp when <see cref="WarmupSteps"/> is 0.
/// </summary>
internal readonly record struct KlSchedule(double Beta, long WarmupSteps)
{
    /// <summary>The schedule the options ask for, given the batches of one epoch (null when the batch source does not say).</summary>
    /// <exception cref="ArgumentException">The warm-up is given in epochs but the number of batches per epoch is unknown.</exception>
    public static KlSchedule For(VaeTrainerOptions options, int? batchesPerEpoch)
    {
        if (options.KlWarmupSteps > 0) return new KlSchedule(options.Beta, options.KlWarmupSteps);
        if (options.KlWarmupEpochs == 0) return new KlSchedule(options.Beta, 0);
        if (batchesPerEpoch is not { } batches)
            throw new ArgumentException(
                $"KlWarmupEpochs = {options.KlWarmupEpochs} needs the number of batches per epoch before the first step, but the batch source's " +
                "sequence has no count (it is computed lazily). Return an array or list of batches, or give the warm-up in optimizer steps " +
                "with VaeTrainerOptions.KlWarmupSteps (and KlWarmupEpochs = 0).", "batchesForEpoch");
        return new KlSchedule(options.Beta, options.KlWarmupEpochs * (long)batches);
    }

    /// <summary>The weight of step <paramref name="step"/> (counted from 0 over the whole run).</summary>
    public double At(long step) => WarmupSteps == 0 ? Beta : Beta * Math.Min(1.0, (step + 1.0) / WarmupSteps);
}
