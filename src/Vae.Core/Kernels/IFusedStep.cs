using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>
/// A training step worked by hand on the CPU (<see cref="FusedMlpStep"/>, <see cref="FusedConvStep"/>): the summed
/// negative ELBO of a batch with every gradient written into the optimizer's flat gradient buffer, and the validation
/// figures, with the noise drawn as the model's own forward pass draws it.
/// </summary>
internal interface IFusedStep : IDisposable
{
    /// <summary>The loss terms of <paramref name="batch"/> (<c>[B, InputSize]</c>, contiguous float32 on the CPU), gradients written.</summary>
    (float Loss, float Reconstruction, float Kl) Run(Tensor batch, double beta, Generator generator, int threads);

    /// <summary>As <see cref="Run(Tensor, double, Generator, int)"/> for rows <paramref name="rows"/> (int64 indices) of <paramref name="source"/>.</summary>
    (float Loss, float Reconstruction, float Kl) Run(Tensor source, Tensor rows, double beta, Generator generator, int threads);

    /// <summary>The summed reconstruction term and KL (beta = 1) of <paramref name="data"/>, a batch of <paramref name="batchSize"/> at a time, no gradient written.</summary>
    (double Reconstruction, double Kl) Evaluate(Tensor data, int batchSize, Generator generator, int threads);
}
