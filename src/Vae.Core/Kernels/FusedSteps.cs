using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>The fused step for a model, whichever of the hand-written steps implements its architecture.</summary>
internal static class FusedSteps
{
    /// <summary>
    /// A fused step for <paramref name="model"/> when <see cref="FusedStepPolicy.Check"/> allows one and the model is built
    /// as one of the steps expects (<see cref="FusedMlpStep"/> for an MLP, <see cref="FusedConvStep"/> for the
    /// convolutional architecture), else null.
    /// </summary>
    public static IFusedStep? TryCreate(VariationalAutoencoder model, VaeTrainerOptions options, Tensor flatParameters, Tensor flatGradients) =>
        // A likelihood or prior of the caller's own is trained through autograd.
        !model.HasBuiltInDistributions ? null : (IFusedStep?)FusedMlpStep.TryCreate(model, options, flatParameters, flatGradients)
        ?? (options.UseFusedConvolutionalStep ? FusedConvStep.TryCreate(model, options, flatParameters, flatGradients) : null);
}
