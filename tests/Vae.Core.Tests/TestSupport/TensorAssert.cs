using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

internal static class TensorAssert
{
    /// <summary>Same shape, dtype and every element equal.</summary>
    public static bool Identical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var scope = NewDisposeScope();
        return a.eq(b).all().item<bool>();
    }

    public static double[] ToDoubles(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }
}
