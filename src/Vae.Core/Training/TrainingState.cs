namespace Vae.Core;

/// <summary>Where a run stands: everything beyond weights, optimizer and generators that a resume needs.</summary>
internal sealed record TrainingState
{
    public static readonly TrainingState Fresh = new();

    public int CompletedEpochs { get; init; }

    /// <summary>Batches of the current epoch already trained.</summary>
    public int BatchInEpoch { get; init; }

    /// <summary>Optimizer steps over the whole run: the position in the KL schedule.</summary>
    public long GlobalStep { get; init; }

    /// <summary>Batches per epoch as counted when the run began (0 when not known), so that a resumed run keeps its KL warm-up.</summary>
    public int BatchesPerEpoch { get; init; }

    /// <summary>Filled in from the best-weights tracking when a checkpoint is written.</summary>
    public double BestValidationLoss { get; init; } = double.PositiveInfinity;

    /// <summary>Filled in from the best-weights tracking when a checkpoint is written.</summary>
    public int EpochsWithoutImprovement { get; init; }

    /// <summary>The shuffle generator's state before epoch <see cref="ShuffleStateEpoch"/> drew its permutation.</summary>
    public byte[]? ShuffleStateAtEpochStart { get; init; }

    /// <summary>The epoch <see cref="ShuffleStateAtEpochStart"/> belongs to (0 in checkpoints that predate this field).</summary>
    public int ShuffleStateEpoch { get; init; }

    public EpochSums Sums { get; init; }

    /// <summary>The learning rate of the current epoch (set as it starts), or of the next one once a plateau schedule has decided it; null before the first epoch.</summary>
    public double? LearningRate { get; init; }

    /// <summary>A plateau schedule's lowest validation loss so far.</summary>
    public double PlateauBest { get; init; } = double.PositiveInfinity;

    /// <summary>A plateau schedule's epochs since the last improvement.</summary>
    public int PlateauBadEpochs { get; init; }

    /// <summary>A plateau schedule's epochs of cooldown left.</summary>
    public int PlateauCooldown { get; init; }
}

/// <summary>Running totals of the current epoch's training loss (nats, summed over samples).</summary>
internal readonly record struct EpochSums(long Steps, long Samples, double Loss, double Reconstruction, double Kl)
{
    public EpochSums Add(StepResult step) =>
        new(Steps + 1, Samples + step.Samples, Loss + step.Loss, Reconstruction + step.Reconstruction, Kl + step.Kl);
}
