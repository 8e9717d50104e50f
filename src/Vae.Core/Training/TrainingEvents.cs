using Microsoft.Extensions.Logging;

namespace Vae.Core;

/// <summary>
/// The event ids of everything <see cref="VaeTrainer"/> logs, for filtering and structured log sinks. Ids are stable
/// across versions; names are those of the fields.
/// </summary>
public static class TrainingEvents
{
    /// <summary>1, Information: an epoch ended (epoch, train and validation loss, throughput).</summary>
    public static readonly EventId EpochCompleted = new(1, nameof(EpochCompleted));

    /// <summary>2, Debug: a checkpoint was written (path, position).</summary>
    public static readonly EventId CheckpointWritten = new(2, nameof(CheckpointWritten));

    /// <summary>3, Information: a checkpoint was loaded and training will continue from it.</summary>
    public static readonly EventId ResumedFromCheckpoint = new(3, nameof(ResumedFromCheckpoint));

    /// <summary>4, Information: early stopping ended the run (no validation improvement for the patience).</summary>
    public static readonly EventId StoppedEarly = new(4, nameof(StoppedEarly));

    /// <summary>5, Information: a training callback stopped the run (with its reason).</summary>
    public static readonly EventId StoppedByCallback = new(5, nameof(StoppedByCallback));

    /// <summary>6, Information: the learning-rate schedule changed the rate for the next epoch.</summary>
    public static readonly EventId LearningRateChanged = new(6, nameof(LearningRateChanged));
}
