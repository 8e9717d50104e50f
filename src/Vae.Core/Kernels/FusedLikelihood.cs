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
    private readonly FusedOutput kernel;
    private readonly FusedVariance variance;

    private FusedLikelihood(VariationalAutoencoder model)
    {
        var options = model.Options;
        latentSize = options.LatentSize;
        inputSize = (int)options.InputSize;
        layers = model.Decoder.FullyConnectedLayers
            .Select(l => new DenseLayer(NativeTensor.Floats(l.weight!), NativeTensor.Floats(l.bias!), null, null, (int)l.in_features, (int)l.out_features))
            .ToArray();

        kernel = model.Likelihood.Fused!;
        variance = new FusedVariance((float)Math.Log(options.GaussianVariance),
            model.Decoder.LogVariance is { } learned ? NativeTensor.Floats(learned) : null, gradients: null);

        long total = (long)latentSize * TileColumns + layers.Sum(l => (long)l.Outputs) * TileColumns
            + 2L * inputSize * TileColumns + TileColumns + (long)MaxParts * 2 * FusedOutput.ColumnBlockRows * TileColumns;
        arena = new NativeArena(total);
        latentT = arena.Take((long)latentSize * TileColumns);
        activations = new float*[layers.Length];
        for (var i = 0; i < layers.Length; i++) activations[i] = arena.Take((long)layers[i].Outputs * TileColumns);
        targetRows = arena.Take((long)inputSize * TileColumns);
        targetsT = arena.Take((long)inputSize * TileColumns);
        sums = arena.Take(TileColumns);
        scratch = arena.Take((long)MaxParts * 2 * FusedOutput.ColumnBlockRows * TileColumns);
    }

    /// <summary>
    /// The kernel for <paramref name="model"/> when this processor allows it and the model is one it implements (an MLP
    /// of fully connected layers with ReLU, nothing else, with a likelihood the step implements), else null.
    /// </summary>
    public static FusedLikelihood? TryCreate(VariationalAutoencoder model)
    {
        if (!Sgemm.IsSupported || !model.HasBuiltInDistributions || !FusedStepPolicy.CheckNetwork(model.Options).IsEligible || !FusedStepPolicy.IsReluMlp(model))
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
                kernel.SumLogDensity((float*)decoded, (float*)targetValues, broadcast, inputSize, columns, firstColumn, partWidth,
                    sums, scratch + (nint)worker * 2 * FusedOutput.ColumnBlockRows * TileColumns, variance);
            });
            new ReadOnlySpan<float>(sums, width).CopyTo(new Span<float>(output + first, width));
        }
        // A guarded arena (the tests') reports here which buffer a kernel of this call wrote past.
        arena.Check();
        return result;
    }

    public void Dispose() => arena.Dispose();
}
