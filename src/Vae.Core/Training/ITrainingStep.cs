namespace Vae.Core;

/// <summary>
/// One way of computing a batch's loss and gradients, and the validation figure of a model; created by
/// <see cref="ITrainableModel.CreateStep"/> once per <see cref="VaeTrainer"/>. The trainer checks each result for NaN,
/// clips the gradients if asked, and updates the weights with Adam.
/// </summary>
public interface ITrainingStep : IDisposable
{
    /// <summary>The CPU threads the step may use; set when training starts.</summary>
    int Threads { set; }

    /// <summary>
    /// Computes the loss of <paramref name="batch"/> at KL weight <paramref name="beta"/> and writes the gradient of the
    /// loss the step minimises into every trainable parameter's <c>grad</c> (views of <see cref="TrainingSetup.Gradients"/>),
    /// overwriting what the previous step left there.
    /// </summary>
    /// <param name="batch">The batch: rows of the data set given to <c>Fit</c>.</param>
    /// <param name="beta">The KL weight of this step from the trainer's schedule.</param>
    /// <returns>The batch's loss terms summed over its samples.</returns>
    StepResult Run(TrainingBatch batch, double beta);

    /// <summary>Evaluates the model on <paramref name="validation"/> (deterministically, given <paramref name="seed"/>).</summary>
    /// <param name="validation">The validation data given to <c>Fit</c>.</param>
    /// <param name="seed">The run's seed, for any sampling the evaluation does.</param>
    ValidationOutcome Validate(TrainingData validation, long seed);
}
