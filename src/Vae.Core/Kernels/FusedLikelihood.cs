using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>
/// log p(x | z) of an MLP or convolutional decoder (Bernoulli, or Gaussian with fixed or learned variances) for many
/// latent samples at once, on an x86-64 CPU (AVX-512, or AVX2 and FMA): the decoder's products on the library's kernels
/// and the log-likelihood summed per sample as each tile of samples is decoded, so no <c>[samples, features]</c> tensor
/// of decoder outputs is ever made. A convolutional decoder's transposed convolutions are those of
/// <see cref="FusedConvStep"/> (a product into columns, then col2im); its tiles are narrower and shared out among the
/// threads whole, each worker decoding its tile on buffers of its own. It gives what <c>-ElboLoss.ReconstructionElementwise(likelihood, decoder(z), logVar, x).sum(-1)</c>
/// gives, to float rounding.
/// </summary>
internal sealed unsafe class FusedLikelihood : IDisposable
{
    // Samples decoded together: the 784 x 256 logits (800 KiB) stay in a core's L2 cache.
    private const int TileColumns = 256;
    // Threads sharing a tile's columns, each with its own scratch.
    private const int MaxParts = 8;

    // Samples per tile of a convolutional decoder: its widest buffer, the columns of the first transposed convolution,
    // is channels x 16 x pixels x 32 floats (3.2 MB for the default 32-64 network). Measured here (AVX2, k = 1000):
    // 16 columns ~9,200 decoded samples per CPU-second, 32 ~9,500, 48 ~7,600, 64 ~7,600, 256 ~7,000. Settable for the benchmark.
    internal static int ConvTileColumns { get; set; } = 32;

    private readonly int convTile = ConvTileColumns;

    private readonly DenseLayer[] layers;
    private readonly FusedConvStep.ConvLayer[] deconvolutions = [];
    private readonly long workerFloats;
    private NativeArena? workerArena;
    private int workerCount;
    private nint[] workerBases = [];
    // Each transposed convolution's weight as [OutChannels x 16, InChannels], row-major (see FusedConvStep.DeconvolutionForward).
    private readonly nint[] weightsByTap = [];
    private readonly int latentSize;
    private readonly int inputSize;
    private readonly NativeArena arena;
    private readonly float* latentT;
    private readonly float*[] activations = [];
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

        if (options.Architecture == VaeArchitecture.Convolutional)
        {
            var maps = options.FeatureMapSizes();
            var channels = options.ConvChannels;
            var modules = model.Decoder.Deconvolutions;
            deconvolutions = new FusedConvStep.ConvLayer[channels.Count];
            for (var j = 0; j < channels.Count; j++)
            {
                var i = channels.Count - 1 - j;
                var outChannels = i > 0 ? channels[i - 1] : options.ImageChannels;
                deconvolutions[j] = new FusedConvStep.ConvLayer(NativeTensor.Floats(modules[j].weight!), NativeTensor.Floats(modules[j].bias!), null, null,
                    channels[i], maps[i + 1].Height, maps[i + 1].Width, outChannels, maps[i].Height, maps[i].Width);
            }
            workerFloats = WorkerFloats();
            arena = new NativeArena(deconvolutions.Sum(l => (long)l.InChannels * l.OutChannels * FusedConvStep.Kernel));
            weightsByTap = new nint[deconvolutions.Length];
            for (var j = 0; j < deconvolutions.Length; j++)
            {
                var layer = deconvolutions[j];
                var taps = layer.OutChannels * FusedConvStep.Kernel;
                var transposedWeight = arena.Take((long)layer.InChannels * taps);
                FeatureMajor.Transpose(layer.Weight, layer.InChannels, taps, taps, transposedWeight, layer.InChannels, zeroPadding: false);
                weightsByTap[j] = (nint)transposedWeight;
            }
            return;
        }

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
    /// of fully connected layers with ReLU, or the built-in convolutional network with ReLU, nothing else, with a
    /// likelihood the step implements), else null.
    /// </summary>
    public static FusedLikelihood? TryCreate(VariationalAutoencoder model)
    {
        var convolutional = model.Options.Architecture == VaeArchitecture.Convolutional;
        if (!Sgemm.IsSupported || !model.HasBuiltInDistributions || !FusedStepPolicy.CheckNetwork(model.Options, convolutional).IsEligible
            || !(convolutional ? FusedStepPolicy.IsReluConvolutional(model) : FusedStepPolicy.IsReluMlp(model)))
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
        if (deconvolutions.Length > 0)
        {
            ConvolutionalLogLikelihood(z, x, count, rows, output, threads);
            return result;
        }
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

    public void Dispose()
    {
        arena.Dispose();
        workerArena?.Dispose();
        workerArena = null;
        workerCount = 0;
    }

    // The floats one worker of the convolutional decoder needs for a tile: the latents, every layer's output, the
    // columns of the widest transposed convolution, the targets (rows and feature-major), the sums and the loss scratch.
    private long WorkerFloats()
    {
        long tile = convTile;
        var columnFloats = deconvolutions.Max(l => (long)l.OutChannels * FusedConvStep.Kernel * l.InPixels * tile);
        return latentSize * tile + layers.Sum(l => (long)l.Outputs) * tile + deconvolutions.Sum(l => (long)l.OutFeatures) * tile
            + columnFloats + 2L * inputSize * tile + tile + 2L * FusedOutput.ColumnBlockRows * tile;
    }

    // The convolutional decoder: tiles of ConvTileColumns samples shared out among the workers, each decoded and summed
    // on one thread with its worker's buffers. A sample's value depends on neither the thread count nor the worker.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ConvolutionalLogLikelihood(float* z, float* x, int count, int rows, float* output, int threads)
    {
        var tiles = (count + convTile - 1) / convTile;
        var tileWidth = convTile;
        var bases = WorkerBuffers(Math.Clamp(Math.Min(threads, tiles), 1, MaxParts));
        var workers = bases.Length;
        var (latents, targets, results) = ((nint)z, (nint)x, (nint)output);
        KernelThreads.Run(tiles, workers, (tile, worker) =>
        {
            var first = tile * tileWidth;
            var width = Math.Min(tileWidth, count - first);
            DecodeTile((float*)latents + (nint)first * latentSize, (float*)targets, first, width, rows, (float*)bases[worker], (float*)results + first);
        });
        // A guarded arena (the tests') reports here which worker's buffer a kernel of this call wrote past.
        workerArena!.Check();
    }

    // log p(x | z) of `width` samples from `latents` (row-major), sample j's target row (first + j) mod rows, into results.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DecodeTile(float* latents, float* x, int first, int width, int rows, float* buffer, float* results)
    {
        var tile = convTile;
        var columns = FeatureMajor.RoundUp16(width);
        var activation = DecodeFeatureMajor(latents, width, ref buffer);
        var rowBuffer = buffer;
        var targetsT = rowBuffer + (nint)inputSize * tile;
        var tileSums = targetsT + (nint)inputSize * tile;
        var scratchFloats = tileSums + tile;

        var broadcast = rows == 1;
        if (!broadcast)
        {
            var rowBytes = (long)inputSize * sizeof(float);
            for (var j = 0; j < width; j++)
                Buffer.MemoryCopy(x + (nint)((first + j) % rows) * inputSize, rowBuffer + (nint)j * inputSize, rowBytes, rowBytes);
            FeatureMajor.Transpose(rowBuffer, width, inputSize, inputSize, targetsT, columns);
        }
        var targetValues = broadcast ? x : targetsT;
        var clock = PhaseTicks is null ? 0 : Stopwatch.GetTimestamp();
        kernel.SumLogDensity(activation, targetValues, broadcast, inputSize, columns, 0, columns, tileSums, scratchFloats, variance);
        new ReadOnlySpan<float>(tileSums, width).CopyTo(new Span<float>(results, width));
        if (PhaseTicks is { } ticks) Interlocked.Add(ref ticks[3], Stopwatch.GetTimestamp() - clock);
    }

    // The decoder's output for `width` samples from `latents` (row-major), feature-major [InputSize, RoundUp16(width)]
    // in the worker's buffer; `buffer` is moved past what it used.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float* DecodeFeatureMajor(float* latents, int width, ref float* buffer)
    {
        var tile = convTile;
        var columns = FeatureMajor.RoundUp16(width);
        var next = buffer;
        float* Take(long floats)
        {
            var taken = next;
            next += floats;
            return taken;
        }
        var ticks = PhaseTicks;
        var clock = ticks is null ? 0 : Stopwatch.GetTimestamp();
        void Phase(int index)
        {
            if (ticks is null) return;
            var now = Stopwatch.GetTimestamp();
            Interlocked.Add(ref ticks[index], now - clock);
            clock = now;
        }
        var latentTile = Take((long)latentSize * tile);
        FeatureMajor.Transpose(latents, width, latentSize, latentSize, latentTile, columns);
        var activation = latentTile;
        foreach (var layer in layers)
        {
            var layerOutput = Take((long)layer.Outputs * tile);
            layer.Forward(activation, layerOutput, columns, 1, relu: true);
            activation = layerOutput;
        }
        Phase(0);
        var columnFloats = deconvolutions.Max(l => (long)l.OutChannels * FusedConvStep.Kernel * l.InPixels * tile);
        var imageColumns = Take(columnFloats);
        for (var j = 0; j < deconvolutions.Length; j++)
        {
            var mapOutput = Take((long)deconvolutions[j].OutFeatures * tile);
            FusedConvStep.DeconvolutionForward(deconvolutions[j], activation, mapOutput, imageColumns, columns, 1, relu: j < deconvolutions.Length - 1, (float*)weightsByTap[j], FusedConvStep.ChannelGroup);
            activation = mapOutput;
            Phase(1 + Math.Min(j, 1));
        }
        buffer = next;
        return activation;
    }

    /// <summary>
    /// What a convolutional decoder gives for every row of <paramref name="latents"/> (<c>[N, LatentSize]</c>, a
    /// contiguous float32 CPU tensor): the logits (Bernoulli) or means (Gaussian), <c>[N, InputSize]</c> float32, as
    /// the decoder module's forward gives them to float rounding. Tiles are shared out among the workers as in
    /// <see cref="LogLikelihood"/>, so a row's output depends on neither the thread count nor the worker.
    /// </summary>
    /// <exception cref="InvalidOperationException">The decoder is an MLP's (its outputs gain nothing here).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Tensor DecoderOutput(Tensor latents, int threads)
    {
        if (deconvolutions.Length == 0) throw new InvalidOperationException("The fused decoder outputs are for convolutional decoders only.");
        var count = (int)latents.shape[0];
        var result = empty(count, inputSize, dtype: ScalarType.Float32);
        if (count == 0) return result;
        var (latentRows, output) = ((nint)NativeTensor.Floats(latents), (nint)NativeTensor.Floats(result));
        var tiles = (count + convTile - 1) / convTile;
        var bases = WorkerBuffers(Math.Clamp(Math.Min(threads, tiles), 1, MaxParts));
        KernelThreads.Run(tiles, bases.Length, (tile, worker) =>
        {
            var first = tile * convTile;
            var width = Math.Min(convTile, count - first);
            var buffer = (float*)bases[worker];
            var activation = DecodeFeatureMajor((float*)latentRows + (nint)first * latentSize, width, ref buffer);
            FeatureMajor.Transpose(activation, inputSize, width, FeatureMajor.RoundUp16(width), (float*)output + (nint)first * inputSize, inputSize, zeroPadding: false);
        });
        // A guarded arena (the tests') reports here which worker's buffer a kernel of this call wrote past.
        workerArena!.Check();
        return result;
    }

    // One buffer of WorkerFloats for each of `workers` workers, grown when more are asked for than before.
    private nint[] WorkerBuffers(int workers)
    {
        if (workers > workerCount)
        {
            workerArena?.Dispose();
            workerArena = null;
            workerArena = new NativeArena(workerFloats * workers);
            workerBases = new nint[workers];
            for (var w = 0; w < workers; w++) workerBases[w] = (nint)workerArena.Take(workerFloats);
            workerCount = workers;
        }
        return workerBases[..workers];
    }

    /// <summary>When set, the convolutional decoder adds the Stopwatch ticks of its phases here: fully connected layers, first transposed convolution, the others, the likelihood (for the profiler).</summary>
    internal static long[]? PhaseTicks { get; set; }
}
