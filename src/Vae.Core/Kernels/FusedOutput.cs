using System.Runtime.CompilerServices;

namespace Vae.Core.Kernels;

/// <summary>
/// A likelihood p(x|z) as the fused CPU kernels work it over the decoder's feature-major output (<c>[features,
/// batch]</c>, the batch padded to 16 columns): the training steps' reconstruction term with its gradient, and the
/// fused likelihood's per-sample log-density. A built-in <see cref="DataLikelihood"/> hands out its own
/// (<see cref="DataLikelihood.Fused"/>); one without is trained and evaluated through libtorch.
/// </summary>
internal abstract unsafe class FusedOutput
{
    /// <summary>The loss shares its blocks among at most this many threads.</summary>
    internal const int MaxLossParts = 8;

    /// <summary>Feature rows per block of <see cref="SumLogDensity"/>, whose scratch is 2 x this many rows of the columns summed.</summary>
    internal const int ColumnBlockRows = 8;

    /// <summary>Feature rows per block of the training loss: about 1,024 elements, a few KiB per pass.</summary>
    internal static int LossBlockRows(int padded) => Math.Max(1, 1024 / padded);

    /// <summary>Floats of scratch <see cref="LossAndGradient"/> needs for a batch padded to <paramref name="padded"/> columns.</summary>
    internal static long LossScratchFloats(int padded) => (long)MaxLossParts * 2 * LossBlockRows(padded) * padded;

    /// <summary>How many block sums <see cref="LossAndGradient"/> keeps for <paramref name="features"/> output rows.</summary>
    internal static int LossBlocks(int features, int padded) => (features + LossBlockRows(padded) - 1) / LossBlockRows(padded);

    /// <summary>
    /// The reconstruction term -log p(x|z) summed over the batch, with its gradient written over the decoder's output
    /// <paramref name="outputT"/> (and the learned log-variances' gradients, if any). Worked in blocks of feature rows
    /// small enough for the passes of exp and log to stay in the L1 cache, the blocks shared out among the threads;
    /// each block's sum is kept and the sums added in block order, so the result is the same whatever the thread count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal double LossAndGradient(float* outputT, float* targetT, int features, int rows, int padded, int threads,
        float* scratch, double[] blockSums, FusedVariance variance)
    {
        var blockRows = LossBlockRows(padded);
        var blocks = (features + blockRows - 1) / blockRows;
        var workers = Math.Min(threads, MaxLossParts);
        var parts = KernelThreads.PartsFor(blocks, workers);
        var (output, targets, scratchStart) = ((nint)outputT, (nint)targetT, (nint)scratch);
        KernelThreads.Run(parts, workers, (part, worker) =>
        {
            var workerScratch = (float*)scratchStart + (nint)worker * 2 * blockRows * padded;
            for (var block = blocks * part / parts; block < blocks * (part + 1) / parts; block++)
            {
                var firstRow = block * blockRows;
                var rowCount = Math.Min(blockRows, features - firstRow);
                blockSums[block] = BlockLossAndGradient((float*)output, (float*)targets, firstRow, rowCount, rows, padded, workerScratch, variance);
            }
        });
        var total = 0.0;
        for (var block = 0; block < blocks; block++) total += blockSums[block];
        return total;
    }

    /// <summary>
    /// -log p(x|z) summed over feature rows <paramref name="firstRow"/> .. + <paramref name="rowCount"/> and the
    /// <paramref name="rows"/> real columns, its gradient written over those rows of <paramref name="outputT"/>
    /// (zero in the padding columns); <paramref name="scratch"/> holds 2 x <paramref name="rowCount"/> x
    /// <paramref name="padded"/> floats.
    /// </summary>
    internal abstract double BlockLossAndGradient(float* outputT, float* targetT, int firstRow, int rowCount, int rows, int padded,
        float* scratch, FusedVariance variance);

    /// <summary>
    /// <c>sums[c] = log p(x | decoder output c)</c> summed over features in order, for columns
    /// <paramref name="firstColumn"/> .. + <paramref name="width"/> of the feature-major <paramref name="outputT"/>
    /// (row stride <paramref name="stride"/>); the targets are laid out the same way, or one row of
    /// <paramref name="featureRows"/> values for every column when <paramref name="broadcast"/>.
    /// </summary>
    internal abstract void SumLogDensity(float* outputT, float* targets, bool broadcast, int featureRows, int stride, int firstColumn, int width,
        float* sums, float* scratch, FusedVariance variance);
}

/// <summary>
/// The variance the Gaussian kernels read: fixed (its log) or learned per feature, with the place where a training
/// step writes the learned log-variances' gradient.
/// </summary>
internal readonly unsafe struct FusedVariance(float fixedLogVariance, float* logVariances, float* gradients)
{
    /// <summary>log v of a fixed variance, read when <see cref="LogVariances"/> is null.</summary>
    public float FixedLogVariance { get; } = fixedLogVariance;

    /// <summary>One learned log-variance per feature, or null.</summary>
    public float* LogVariances { get; } = logVariances;

    /// <summary>Where the learned log-variances' gradients go, or null (no gradient, or no learned variance).</summary>
    public float* Gradients { get; } = gradients;

    /// <summary>log v of feature <paramref name="feature"/>.</summary>
    public float LogVarianceOf(int feature) => LogVariances is null ? FixedLogVariance : LogVariances[feature];
}
