using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>An epoch's batches and how many there are (0 when the source does not say).</summary>
internal readonly record struct EpochBatches(IEnumerable<TrainingBatch> Batches, int Count);

/// <summary>The batches the trainer's steps take, from in-memory data or from a caller's batch source.</summary>
internal static class TrainingBatches
{
    /// <summary>
    /// Each batch as its rows of the data: gathered inside its step (by the fused step without a new tensor), so that
    /// batches skipped on a resume cost nothing and no batch outlives its step.
    /// </summary>
    public static IEnumerable<TrainingBatch> Shuffled(TrainingData data, Tensor permutation, int batchSize)
    {
        var count = data.Count;
        for (long start = 0; start < count; start += batchSize)
            yield return new TrainingBatch(data, permutation.narrow(0, start, Math.Min(batchSize, count - start)));
    }

    /// <summary>
    /// A batch source's batches, shape-checked and converted to the model's type and device. Only the shape is checked:
    /// a pass over the values every step would cost what the data check saves, and NaN still cannot slip through, since
    /// the step's finiteness guard reports it.
    /// </summary>
    public static IEnumerable<TrainingBatch> Checked(IEnumerable<Tensor> batches, int epoch, long? inputSize, ScalarType dtype, Device device)
    {
        var index = 0;
        foreach (var batch in batches)
        {
            index++;
            if (inputSize is { } width) Guard.Features(batch, width, "batch");
            if (batch.shape[0] == 0)
                throw new ArgumentException($"The batch source gave an empty batch (shape {Guard.Shape(batch)}) as batch {index} of epoch {epoch}.", "batchesForEpoch");
            yield return new TrainingBatch(new TensorData(batch.dtype == dtype && batch.device == device ? batch : batch.to(dtype, device)), null);
        }
    }

    /// <summary>
    /// A contiguous copy of <paramref name="data"/> of type <paramref name="dtype"/> (and on <paramref name="device"/>
    /// when given) for the caller to dispose, or null when the data already is that.
    /// </summary>
    public static Tensor? Converted(Tensor? data, ScalarType dtype, Device? device)
    {
        if (data is null || data.dtype == dtype && (device is null || data.device == device && data.is_contiguous())) return null;
        using var scope = NewDisposeScope();
        return data.to(dtype, device ?? data.device).contiguous().MoveToOuterDisposeScope();
    }
}
