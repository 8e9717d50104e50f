using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>A tensor of samples (one per row) as <see cref="TrainingData"/>: what <c>Fit(Tensor, ...)</c> trains on.</summary>
internal sealed class TensorData(Tensor tensor) : TrainingData
{
    public Tensor Tensor { get; } = tensor;

    public override long Count => Tensor.shape[0];

    /// <summary>The tensor of a batch or data set that the trainer built from a tensor.</summary>
    /// <exception cref="ArgumentException">The data is not a tensor (a step of a VAE was given another model's data).</exception>
    public static Tensor Of(TrainingData data) => data is TensorData tensor
        ? tensor.Tensor
        : throw new ArgumentException($"A variational autoencoder trains on tensors, not on {data.GetType().Name}.", nameof(data));
}
