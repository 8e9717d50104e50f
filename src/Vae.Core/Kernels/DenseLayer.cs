using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Vae.Core.Kernels;

/// <summary>
/// A fully connected layer as the fused kernels see it: its weight <c>[Outputs, Inputs]</c> and bias in libtorch's
/// memory, and where their gradients go (null when only the forward pass is needed).
/// </summary>
internal readonly unsafe struct DenseLayer(float* weight, float* bias, float* weightGradient, float* biasGradient, int inputs, int outputs)
{
    public float* Weight { get; } = weight;
    public float* Bias { get; } = bias;
    public float* WeightGradient { get; } = weightGradient;
    public float* BiasGradient { get; } = biasGradient;
    public int Inputs { get; } = inputs;
    public int Outputs { get; } = outputs;

    /// <summary>y^T = relu?(W x^T + b) for <paramref name="columns"/> feature-major columns (a multiple of 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(float* inputT, float* outputT, int columns, int threads, bool relu)
    {
        Sgemm.Multiply(Outputs, columns, Inputs, Weight, Inputs, 1, inputT, columns, outputT, columns, accumulate: false, threads);
        for (var o = 0; o < Outputs; o++)
        {
            var bias = Vector256.Create(Bias[o]);
            var row = outputT + (nint)o * columns;
            for (var j = 0; j < columns; j += 8)
            {
                var value = Vector256.Load(row + j) + bias;
                (relu ? Vector256.Max(value, Vector256<float>.Zero) : value).Store(row + j);
            }
        }
    }
}
