using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>A batch that a trainer hands its step: the rows <see cref="Rows"/> of <see cref="Data"/>, or all of it when <see cref="Rows"/> is null.</summary>
/// <param name="Data">The training data given to <c>Fit</c>, or a batch from the caller's batch source.</param>
/// <param name="Rows">The indices of the batch's samples in <paramref name="Data"/> (int64, on the data's device); null for the whole of it.</param>
public readonly record struct TrainingBatch(TrainingData Data, Tensor? Rows)
{
    /// <summary>The number of samples in the batch.</summary>
    public long Count => Rows?.shape[0] ?? Data.Count;
}
