using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// An exponential moving average of the trainer's flat parameter vector (Polyak averaging, as
/// <c>torch.optim.swa_utils.AveragedModel</c> with <c>get_ema_multi_avg_fn(decay)</c>): after every optimizer step
/// <c>average = decay * average + (1 - decay) * weights</c>, starting from the weights training starts from.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    private readonly Tensor parameters;
    private readonly Tensor average;
    private readonly Tensor scratch;
    private readonly Tensor share;

    public WeightAverage(Tensor parameters, double decay)
    {
        using var noGrad = no_grad();
        this.parameters = parameters;
        average = parameters.detach().clone().DetachFromDisposeScope();
        scratch = empty_like(parameters).DetachFromDisposeScope();
        Decay = decay;
        share = tensor(1 - decay, dtype: parameters.dtype, device: parameters.device).DetachFromDisposeScope();
    }

    /// <summary>The share of the average each step keeps.</summary>
    public double Decay { get; }

    /// <summary>Starts the average again from the weights as they are now.</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        average.copy_(parameters);
    }

    /// <summary>One step of the average, after an optimizer step.</summary>
    public void Update()
    {
        using var noGrad = no_grad();
        // lerp: average + (1 - decay) * (weights - average).
        average.lerp_(parameters, share);
    }

    /// <summary>Exchanges the weights and the average, bit for bit; a second call undoes the first.</summary>
    public void Swap()
    {
        using var noGrad = no_grad();
        scratch.copy_(parameters);
        parameters.copy_(average);
        average.copy_(scratch);
    }

    /// <summary>Writes the average into the weights (the end of training).</summary>
    public void CopyIntoWeights()
    {
        using var noGrad = no_grad();
        parameters.copy_(average);
    }

    /// <summary>The average as a checkpoint section: its length in bytes, then its bytes.</summary>
    public void Save(BinaryWriter writer)
    {
        using var cpu = average.cpu();
        var bytes = Kernels.NativeTensor.Bytes(cpu);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>The average from a checkpoint's bytes, which must fit the parameters exactly.</summary>
    public void Load(byte[] bytes)
    {
        CheckBytes(bytes);
        using var cpu = empty(average.shape, dtype: average.dtype);
        cpu.bytes = bytes;
        using var noGrad = no_grad();
        average.copy_(cpu);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> unless <paramref name="bytes"/> fit the parameters exactly.</summary>
    public void CheckBytes(byte[] bytes)
    {
        var expected = average.numel() * average.element_size();
        if (bytes.Length != expected)
            throw new InvalidDataException($"the averaged weights hold {bytes.Length} bytes, but this model's parameters take {expected}");
    }

    public void Dispose()
    {
        average.Dispose();
        scratch.Dispose();
        share.Dispose();
    }
}
