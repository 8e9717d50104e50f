using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// Tensors whose initial values are drawn straight into libtorch's memory: a catalogue-sized layer made from a managed
/// array leaves that array on the managed heap (a tensor made from it shares it until the trainer's flat buffers take
/// the weights over, and the heap keeps the space afterwards).
/// </summary>
internal static unsafe class InitialWeights
{
    /// <summary>Writes a tensor's initial values, in row-major order.</summary>
    public delegate void Fill(Span<float> values);

    /// <summary>A float32 CPU tensor of <paramref name="shape"/> whose values <paramref name="fill"/> writes.</summary>
    public static Tensor Filled(long[] shape, Fill fill)
    {
        var tensor = empty(shape, dtype: ScalarType.Float32);
        var count = checked((int)tensor.numel());
        if (count > 0) fill(new Span<float>(NativeTensor.Floats(tensor), count));
        return tensor;
    }
}
