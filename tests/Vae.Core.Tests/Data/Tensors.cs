using static TorchSharp.torch;

namespace Vae.Core.Tests.Data;

internal static class Tensors
{
    /// <summary>Same shape, dtype and every element equal.</summary>
    public static bool Identical(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();
    }
}
