namespace Vae.Core;

/// <summary>
/// A step whose model trains its parameters in groups, each with an Adam state of its own (moments and step count),
/// and updates only some groups in a given epoch: alternating training, as RecVAE's encoder and decoder passes with two
/// optimisers (<see cref="Recommendation.RecVaeTrainer"/>). <see cref="VaeTrainer"/> asks the step for the phase of every
/// epoch before its first batch, updates only the groups the phase names, and validates only after the epochs the phase
/// says to; checkpoints hold every group's step count, so a resumed run continues bit for bit.
/// </summary>
public interface IPhasedTrainingStep : ITrainingStep
{
    /// <summary>
    /// How many of <see cref="ITrainableModel.TrainableParameters"/>, in order, each group holds: consecutive runs that
    /// together cover all of them.
    /// </summary>
    IReadOnlyList<int> ParameterGroupSizes { get; }

    /// <summary>
    /// Called before the first batch of <paramref name="epoch"/> (again when a run resumes inside it, so whatever it
    /// does must give the same result when repeated); the step may prepare for the phase here (e.g. refresh a frozen copy).
    /// </summary>
    /// <param name="epoch">The epoch, from 1.</param>
    /// <returns>The groups this epoch's steps update, and whether validation follows the epoch.</returns>
    TrainingPhase BeginEpoch(int epoch);
}

/// <summary>What the steps of one epoch update (see <see cref="IPhasedTrainingStep"/>).</summary>
/// <param name="UpdatedGroups">The indices of the parameter groups Adam updates in this epoch; the others keep their weights and moments.</param>
/// <param name="Validate">Whether the model is validated (and offered as the best) after this epoch.</param>
public sealed record TrainingPhase(IReadOnlyList<int> UpdatedGroups, bool Validate);
