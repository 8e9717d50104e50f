using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// One way of computing a batch's loss and gradients (into the optimizer's flat gradient buffer, clipped as the options
/// say) and the validation loss; the trainer checks the result and updates the weights. Chosen once per trainer.
/// </summary>
internal interface ITrainingStep : IDisposable
{
    /// <summary>Threads the step may use (libtorch's CPU threads, set when training starts).</summary>
    int Threads { set; }

    /// <summary>The summed loss of <paramref name="batch"/> (already of the model's dtype and on its device) at KL weight <paramref name="beta"/>, with its gradients written.</summary>
    StepResult Run(TrainingBatch batch, double beta);

    /// <summary>The mean negative ELBO (beta = 1) of <paramref name="validation"/> as <see cref="VaeEvaluation.Evaluate"/> computes it with <paramref name="seed"/>.</summary>
    ElboMetrics Validate(Tensor validation, long seed);
}

/// <summary>A batch: the rows <see cref="Rows"/> of <see cref="Source"/>, or all of <see cref="Source"/> when null.</summary>
internal readonly record struct TrainingBatch(Tensor Source, Tensor? Rows)
{
    public long Count => Rows?.shape[0] ?? Source.shape[0];
}

/// <summary>
/// One step's summed loss terms and a figure that is finite exactly when every gradient is (their sum, or their norm
/// when clipping).
/// </summary>
internal readonly record struct StepResult(long Samples, double Loss, double Reconstruction, double Kl, double GradientCheck);
