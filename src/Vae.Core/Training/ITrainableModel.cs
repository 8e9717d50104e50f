using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// A model that <see cref="VaeTrainer"/> can train: its weights, its modes, and the step that computes a batch's loss
/// and gradients. The trainer owns everything else and writes it once for every model: the epoch loop and shuffling,
/// Adam and the learning-rate schedules, the KL schedule, the guard against NaN, validation with early stopping and the
/// best weights, callbacks, logging, cancellation, and checkpoints that resume bit for bit.
/// </summary>
/// <remarks>
/// <see cref="VariationalAutoencoder"/> is trained through this seam (with the fused CPU step or autograd), and so is
/// Mult-VAE (<see cref="Recommendation.MultVaeTrainer"/>). A new family of models (a sequence VAE, a VQ-VAE) implements
/// it and its <see cref="ITrainingStep"/>, and gets all of the trainer's features; docs/architecture.md shows where.
/// </remarks>
public interface ITrainableModel
{
    /// <summary>
    /// What the model is (its family and architecture, e.g. as JSON): checkpoints store it, and a checkpoint loads only
    /// into a model that describes itself the same way.
    /// </summary>
    string Architecture { get; }

    /// <summary>The weights the trainer's Adam updates, in a fixed order; all of one floating type and on one device.</summary>
    IReadOnlyList<Parameter> TrainableParameters { get; }

    /// <summary>
    /// Every tensor that a checkpoint and the copy of the best weights must hold, by name: the trainable parameters and
    /// any buffers whose values training changes.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Weights { get; }

    /// <summary>Switches the model to training mode; disposing the result gives every part of it back the mode it had.</summary>
    IDisposable EnterTrainingMode();

    /// <summary>Creates the step a trainer runs for every batch; called once per trainer.</summary>
    /// <param name="setup">The trainer's options, noise generator and flat parameter and gradient buffers.</param>
    ITrainingStep CreateStep(TrainingSetup setup);
}
