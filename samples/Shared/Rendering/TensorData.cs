using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Samples.Rendering;

/// <summary>Copies tensors into plain arrays, so drawing code never holds native memory.</summary>
internal static class TensorData
{
    public static float[] Floats(Tensor tensor, string name)
    {
        NotDisposed(tensor, name);
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    public static int[] Ints(Tensor tensor, string name)
    {
        NotDisposed(tensor, name);
        if (tensor.is_floating_point() || tensor.is_complex())
            throw new ArgumentException($"{name} must hold integer labels, but has dtype {tensor.dtype}.", name);
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().to_type(ScalarType.Int32).contiguous().data<int>().ToArray();
    }

    public static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";

    private static void NotDisposed(Tensor? tensor, string name)
    {
        if (tensor is null) throw new ArgumentNullException(name);
        if (tensor.IsInvalid) throw new ArgumentException($"{name} has been disposed.", name);
    }
}
