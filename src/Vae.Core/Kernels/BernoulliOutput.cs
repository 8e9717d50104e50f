using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Vae.Core.Kernels;

/// <summary>The Bernoulli likelihood on logits as the fused kernels work it (<see cref="BernoulliLikelihood"/>).</summary>
internal sealed unsafe class BernoulliOutput : FusedOutput
{
    /// <summary>The one instance: the kernels hold no state.</summary>
    internal static readonly BernoulliOutput Instance = new();

    private BernoulliOutput() { }

    // softplus(l) - x l (binary cross-entropy on logits) and its gradient sigmoid(l) - x.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override double BlockLossAndGradient(float* logitsT, float* targetT, int firstRow, int rowCount, int rows, int padded,
        float* scratch, FusedVariance variance)
    {
        var count = rowCount * padded;
        var exps = scratch;
        var logs = scratch + count;
        var logits = logitsT + (nint)firstRow * padded;
        var targets = targetT + (nint)firstRow * padded;
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var one = Vector256.Create(1f);
        Softplus.Tails(logits, rowCount, padded, padded, exps, logs);
        var sum = Vector256<float>.Zero;
        // Real columns in whole vectors, then the one vector that straddles the batch's end (masked), then padding.
        var wholeVectors = rows / 8 * 8;
        var tail = Vector256.LessThan(lanes, Vector256.Create(rows - wholeVectors)).AsSingle();
        for (var rowStart = 0; rowStart < count; rowStart += padded)
        {
            for (var column = 0; column < padded; column += 8)
            {
                var i = rowStart + column;
                var l = Vector256.Load(logits + i);
                var x = Vector256.Load(targets + i);
                var e = Vector256.Load(exps + i);
                // softplus(l) = max(l, 0) + log(1 + exp(-|l|)); sigmoid(l) = (l >= 0 ? 1 : exp(-|l|)) / (1 + exp(-|l|)).
                var loss = Vector256.Max(l, Vector256<float>.Zero) + Vector256.Load(logs + i) - x * l;
                var gradient = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(l, Vector256<float>.Zero), one, e) / (one + e) - x;
                if (column >= wholeVectors)
                {
                    var real = column == wholeVectors ? tail : Vector256<float>.Zero;
                    loss &= real;
                    gradient &= real;
                }
                sum += loss;
                gradient.Store(logits + i);
            }
        }
        return Vector256.Sum(sum);
    }

    // sums[c] = sum over features f of x_f l_fc - softplus(l_fc), f in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void SumLogDensity(float* logitsT, float* targets, bool broadcast, int featureRows, int stride, int firstColumn, int width,
        float* sums, float* scratch, FusedVariance variance)
    {
        new Span<float>(sums + firstColumn, width).Clear();
        var exps = scratch;
        var logs = scratch + ColumnBlockRows * width;
        for (var f0 = 0; f0 < featureRows; f0 += ColumnBlockRows)
        {
            var blockRows = Math.Min(ColumnBlockRows, featureRows - f0);
            Softplus.Tails(logitsT + (nint)f0 * stride + firstColumn, blockRows, width, stride, exps, logs);
            for (var r = 0; r < blockRows; r++)
            {
                var row = logitsT + (nint)(f0 + r) * stride + firstColumn;
                var targetRow = targets + (nint)(f0 + r) * stride + firstColumn;
                var scalarTarget = broadcast ? Vector256.Create(targets[f0 + r]) : default;
                for (var j = 0; j < width; j += 8)
                {
                    var l = Vector256.Load(row + j);
                    var x = broadcast ? scalarTarget : Vector256.Load(targetRow + j);
                    // x l - softplus(l), softplus(l) = max(l, 0) + log(1 + exp(-|l|))
                    var term = x * l - Vector256.Max(l, Vector256<float>.Zero) - Vector256.Load(logs + r * width + j);
                    (Vector256.Load(sums + firstColumn + j) + term).Store(sums + firstColumn + j);
                }
            }
        }
    }
}
