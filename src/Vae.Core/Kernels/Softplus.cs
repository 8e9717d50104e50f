using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Vae.Core.Kernels;

/// <summary>The transcendental half of softplus(l) = max(l, 0) + log(1 + exp(-|l|)), shared by the Bernoulli kernels.</summary>
internal static unsafe class Softplus
{
    /// <summary>
    /// For <paramref name="rowCount"/> rows of <paramref name="width"/> logits (a multiple of 8) starting at
    /// <paramref name="logits"/>, <paramref name="stride"/> apart: exps = exp(-|l|) and logs = log(1 + exp(-|l|)), each
    /// written densely (rowCount x width). Finite for every finite l.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tails(float* logits, int rowCount, int width, nint stride, float* exps, float* logs)
    {
        var count = rowCount * width;
        for (var r = 0; r < rowCount; r++)
        {
            var row = logits + r * stride;
            for (var j = 0; j < width; j += 8) (-Vector256.Abs(Vector256.Load(row + j))).Store(exps + r * width + j);
        }
        TensorPrimitives.Exp(new ReadOnlySpan<float>(exps, count), new Span<float>(exps, count));
        var one = Vector256.Create(1f);
        for (var i = 0; i < count; i += 8) (Vector256.Load(exps + i) + one).Store(logs + i);
        TensorPrimitives.Log(new ReadOnlySpan<float>(logs, count), new Span<float>(logs, count));
    }
}
