using System.Text.Json.Serialization;

namespace Vae.Core;

/// <summary>
/// How <see cref="VaeTrainer"/> changes the learning rate from epoch to epoch (<see cref="VaeTrainerOptions.LearningRateSchedule"/>):
/// <see cref="StepLearningRateSchedule"/>, <see cref="CosineAnnealingSchedule"/> or <see cref="ReduceOnPlateauSchedule"/>.
/// The rate is set before each epoch and holds for all its steps; <see cref="EpochSummary.LearningRate"/> records it.
/// A checkpoint stores the schedule and its state, so a resumed run follows it bit for bit.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "Kind")]
[JsonDerivedType(typeof(StepLearningRateSchedule), "Step")]
[JsonDerivedType(typeof(CosineAnnealingSchedule), "CosineAnnealing")]
[JsonDerivedType(typeof(ReduceOnPlateauSchedule), "ReduceOnPlateau")]
public abstract record LearningRateSchedule
{
    // Only the library's schedules: the trainer and its checkpoints know each of them.
    private protected LearningRateSchedule()
    {
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public abstract void Validate();

    /// <summary>The rate of epoch <paramref name="epoch"/> (from 1), given the base rate, the run's epochs and the rate the last epoch ended with.</summary>
    internal abstract double StartOfEpoch(double learningRate, int epoch, int runEpochs, double? lastRate);

    /// <summary>Whether the schedule follows the validation loss (so training needs validation data).</summary>
    internal virtual bool FollowsValidationLoss => false;

    /// <summary>The trainer's state after an epoch whose validation loss was <paramref name="loss"/>, trained at <paramref name="learningRate"/>.</summary>
    internal virtual TrainingState AfterValidation(TrainingState state, double learningRate, double loss) => state;

    private protected static ArgumentException Bad(string schedule, string name, object? value, string rule) =>
        new($"{schedule}.{name} {rule}, but was {value ?? "null"}.", name);
}
