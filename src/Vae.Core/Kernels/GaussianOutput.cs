using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Vae.Core.Kernels;

/// <summary>
/// The Gaussian likelihood with fixed or learned variances per feature as the fused kernels work it
/// (<see cref="GaussianLikelihood"/>); the variances come in a <see cref="FusedVariance"/>.
/// </summary>
internal sealed unsafe class GaussianOutput : FusedOutput
{
    /// <summary>The one instance: the kernels hold no state.</summary>
    internal static readonly GaussianOutput Instance = new();

    private GaussianOutput() { }

    // 0.5 ((x - mean)^2 / v + log v + log 2 pi) per element, as ElboLoss computes it, with the gradient (mean - x) / v
    // and, for a learned variance, 0.5 (rows - sum (x - mean)^2 / v) per feature.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override double BlockLossAndGradient(float* meanT, float* targetT, int firstRow, int rowCount, int rows, int padded,
        float* scratch, FusedVariance variance)
    {
        var wholeVectors = rows / 8 * 8;
        var tail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(rows - wholeVectors)).AsSingle();
        var total = 0.0;
        for (var f = firstRow; f < firstRow + rowCount; f++)
        {
            var logVariance = variance.LogVarianceOf(f);
            var precision = Vector256.Create(MathF.Exp(-logVariance));
            var squares = Vector256<float>.Zero;
            var means = meanT + (nint)f * padded;
            var targets = targetT + (nint)f * padded;
            for (var column = 0; column < padded; column += 8)
            {
                var difference = Vector256.Load(means + column) - Vector256.Load(targets + column);
                if (column >= wholeVectors) difference &= column == wholeVectors ? tail : Vector256<float>.Zero;
                var scaled = difference * precision;
                squares += difference * scaled;
                scaled.Store(means + column);
            }
            var squareSum = (double)Vector256.Sum(squares);
            total += 0.5 * (squareSum + rows * ((double)logVariance + 2 * GaussianDensity.HalfLogTwoPi));
            if (variance.Gradients is not null) variance.Gradients[f] = (float)(0.5 * (rows - squareSum));
        }
        return total;
    }

    // sums[c] = -0.5 sum over features f of ((x_f - mean_fc)^2 / v_f + log v_f + log 2 pi), f in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void SumLogDensity(float* meansT, float* targets, bool broadcast, int featureRows, int stride, int firstColumn, int width,
        float* sums, float* scratch, FusedVariance variance)
    {
        new Span<float>(sums + firstColumn, width).Clear();
        for (var f = 0; f < featureRows; f++)
        {
            var logVariance = variance.LogVarianceOf(f);
            var precision = Vector256.Create(MathF.Exp(-logVariance));
            var constant = Vector256.Create((float)(logVariance + 2 * GaussianDensity.HalfLogTwoPi));
            var half = Vector256.Create(-0.5f);
            var row = meansT + (nint)f * stride + firstColumn;
            var targetRow = targets + (nint)f * stride + firstColumn;
            var scalarTarget = broadcast ? Vector256.Create(targets[f]) : default;
            for (var j = 0; j < width; j += 8)
            {
                var difference = (broadcast ? scalarTarget : Vector256.Load(targetRow + j)) - Vector256.Load(row + j);
                var term = (difference * difference * precision + constant) * half;
                (Vector256.Load(sums + firstColumn + j) + term).Store(sums + firstColumn + j);
            }
        }
    }
}
