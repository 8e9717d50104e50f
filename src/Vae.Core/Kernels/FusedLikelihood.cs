using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>
/// log p(x | z) of an MLP decoder (Bernoulli, or Gaussian with fixed or learned variances) for many latent samples at
/// once, on an x86-64 CPU (AVX-512, or AVX2 and FMA): the decoder's products on the library's kernels and the
/// log-likelihood summed per sample as each tile of samples is decoded, so no <c>[samples, features]</c> tensor of
/// decoder outputs is ever made. It gives what <c>-ElboLoss.ReconstructionElementwise(likelihood, decoder(z), logVar, x).sum(-1)</c>
/// gives, to float rounding.
/// </summary>
internal sealed unsafe class FusedLikelihood : IDisposable
{
    // Samples decoded together: the 784 x 256 logits (800 KiB) stay in a core's L2 cache.
    private const int TileColumns = 256;
    private const int BlockRows = 8;
    // Threads sharing a tile's columns, each with its own scratch.
    private const int MaxParts = 8;

    private readonly DenseLayer[] layers;
    private readonly int latentSize;
    private readonly int inputSize;
    private readonly NativeArena arena;
    private readonly float* latentT;
    private readonly float*[] activations;
    private readonly float* targetRows;
    private readonly float* targetsT;
    private readonly float* sums;
    private readonly float* scratch;
    private readonly VaeLikelihood likelihood;
    private readonly float fixedLogVariance;
    private readonly float* logVariances;

    private FusedLikelihood(VariationalAutoencoder model)
    {
        var options = model.Options;
        latentSize = options.LatentSize;
        inputSize = (int)options.InputSize;
        layers = model.Decoder.FullyConnectedLayers
            .Select(l => new DenseLayer(NativeTensor.Floats(l.weight!), NativeTensor.Floats(l.bias!), null, null, (int)l.in_features, (int)l.out_features))
            .ToArray();

        likelihood = options.Likelihood;
        fixedLogVariance = (float)Math.Log(options.GaussianVariance);
        if (model.Decoder.LogVariance is { } learned) logVariances = NativeTensor.Floats(learned);

        long total = (long)latentSize * TileColumns + layers.Sum(l => (long)l.Outputs) * TileColumns
            + 2L * inputSize * TileColumns + TileColumns + (long)MaxParts * 2 * BlockRows * TileColumns;
        arena = new NativeArena(total);
        latentT = arena.Take((long)latentSize * TileColumns);
        activations = new float*[layers.Length];
        for (var i = 0; i < layers.Length; i++) activations[i] = arena.Take((long)layers[i].Outputs * TileColumns);
        targetRows = arena.Take((long)inputSize * TileColumns);
        targetsT = arena.Take((long)inputSize * TileColumns);
        sums = arena.Take(TileColumns);
        scratch = arena.Take((long)MaxParts * 2 * BlockRows * TileColumns);
    }

    /// <summary>
    /// The kernel for <paramref name="model"/> when this processor allows it and the model is one it implements (an MLP
    /// of fully connected layers with ReLU, nothing else, with a likelihood the step implements), else null.
    /// </summary>
    public static FusedLikelihood? TryCreate(VariationalAutoencoder model)
    {
        if (!Sgemm.IsSupported || !model.HasBuiltInDistributions || !FusedMlpStep.CheckNetwork(model.Options).IsEligible || !FusedMlpStep.IsReluMlp(model))
            return null;
        var first = model.parameters().First();
        if (first.device_type != DeviceType.CPU || first.dtype != ScalarType.Float32 || model.parameters().Any(p => !p.is_contiguous()))
            return null;
        return new FusedLikelihood(model);
    }

    /// <summary>
    /// log p(x_(n mod R) | z_n) for every row n of <paramref name="latents"/> (<c>[N, LatentSize]</c>), with
    /// <paramref name="targets"/> <c>[R, InputSize]</c>: the layout of latents drawn as <c>[samples, R, LatentSize]</c>.
    /// Both must be contiguous float32 CPU tensors; the result is <c>[N]</c> float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Tensor LogLikelihood(Tensor latents, Tensor targets, int threads)
    {
        var count = (int)latents.shape[0];
        var rows = (int)targets.shape[0];
        var result = empty(count, dtype: ScalarType.Float32);
        var z = NativeTensor.Floats(latents);
        var x = NativeTensor.Floats(targets);
        var output = NativeTensor.Floats(result);
        for (var first = 0; first < count; first += TileColumns)
        {
            var width = Math.Min(TileColumns, count - first);
            var columns = FeatureMajor.RoundUp16(width);
            FeatureMajor.Transpose(z + (nint)first * latentSize, width, latentSize, latentSize, latentT, columns);
            var activation = latentT;
            for (var i = 0; i < layers.Length; i++)
            {
                layers[i].Forward(activation, activations[i], columns, threads, relu: i < layers.Length - 1);
                activation = activations[i];
            }

            // One target row for all samples needs no copy; several are laid out feature-major beside the logits.
            var broadcast = rows == 1;
            if (!broadcast)
            {
                var rowBytes = (long)inputSize * sizeof(float);
                for (var j = 0; j < width; j++)
                    Buffer.MemoryCopy(x + (nint)((first + j) % rows) * inputSize, targetRows + (nint)j * inputSize, rowBytes, rowBytes);
                FeatureMajor.Transpose(targetRows, width, inputSize, inputSize, targetsT, columns);
            }
            var decoded = (nint)activation;
            var targetValues = (nint)(broadcast ? x : targetsT);
            var vectors = columns / 16;
            var workers = Math.Min(threads, MaxParts);
            var parts = KernelThreads.PartsFor(vectors, workers);
            KernelThreads.Run(parts, workers, (part, worker) =>
            {
                var firstColumn = vectors * part / parts * 16;
                var partWidth = vectors * (part + 1) / parts * 16 - firstColumn;
                switch (likelihood)
                {
                    case VaeLikelihood.Bernoulli:
                        SumColumns((float*)decoded, (float*)targetValues, broadcast, inputSize, columns, firstColumn, partWidth, sums, scratch + (nint)worker * 2 * BlockRows * TileColumns);
                        break;
                    case VaeLikelihood.Gaussian:
                        SumGaussianColumns((float*)decoded, (float*)targetValues, broadcast, columns, firstColumn, partWidth);
                        break;
                    default:
                        throw new UnreachableException($"TryCreate admits no {likelihood} likelihood.");
                }
            });
            new ReadOnlySpan<float>(sums, width).CopyTo(new Span<float>(output + first, width));
        }
        // A guarded arena (the tests') reports here which buffer a kernel of this call wrote past.
        arena.Check();
        return result;
    }

    public void Dispose() => arena.Dispose();

    // sums[c] = -0.5 sum over features f of ((x_f - mean_fc)^2 / v_f + log v_f + log 2 pi), f in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SumGaussianColumns(float* meansT, float* targets, bool broadcast, int stride, int firstColumn, int width)
    {
        new Span<float>(sums + firstColumn, width).Clear();
        for (var f = 0; f < inputSize; f++)
        {
            var logVariance = logVariances is null ? fixedLogVariance : logVariances[f];
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

    // sums[c] = sum over features f of x_f l_fc - softplus(l_fc) for columns firstColumn .. + width, f in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumColumns(float* logitsT, float* targets, bool broadcast, int featureRows, int stride, int firstColumn, int width, float* sums, float* scratch)
    {
        new Span<float>(sums + firstColumn, width).Clear();
        var exps = scratch;
        var logs = scratch + BlockRows * width;
        for (var f0 = 0; f0 < featureRows; f0 += BlockRows)
        {
            var blockRows = Math.Min(BlockRows, featureRows - f0);
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
