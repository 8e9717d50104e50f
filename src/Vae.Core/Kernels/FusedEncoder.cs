using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>
/// The posterior of the built-in convolutional encoder (its mean and log-variance heads) for many images at once, on
/// an x86-64 CPU (AVX-512, or AVX2 and FMA): the strided convolutions of <see cref="FusedConvStep"/> (a block of output
/// pixels' im2col into the matrix kernels), the hidden layers and both heads, a tile of images at a time on one worker
/// with buffers of its own, so an image's result depends on neither the thread count nor the worker. It gives what the
/// encoder module gives, to float rounding.
/// </summary>
internal sealed unsafe class FusedEncoder : IDisposable
{
    // Images per tile: the widest buffer, the first convolution's output, is 32 x 14 x 14 x 32 floats (800 KiB) for the
    // default network, so a worker's tile stays in its L2 cache as the decoder's tiles of the same width do.
    private const int TileColumns = 32;
    private const int MaxWorkers = 8;

    private readonly FusedConvStep.ConvLayer[] convolutions;
    private readonly DenseLayer[] hidden;
    private readonly DenseLayer mean;
    private readonly DenseLayer logVariance;
    private readonly int inputSize;
    private readonly int latentSize;
    private readonly long workerFloats;
    private NativeArena? arena;
    private nint[] workerBases = [];

    private FusedEncoder(VariationalAutoencoder model)
    {
        var options = model.Options;
        inputSize = (int)options.InputSize;
        latentSize = options.LatentSize;
        static DenseLayer LayerOf(TorchSharp.Modules.Linear l) =>
            new(NativeTensor.Floats(l.weight!), NativeTensor.Floats(l.bias!), null, null, (int)l.in_features, (int)l.out_features);
        var maps = options.FeatureMapSizes();
        var channels = options.ConvChannels;
        var modules = model.Encoder.Convolutions;
        convolutions = new FusedConvStep.ConvLayer[channels.Count];
        for (var i = 0; i < channels.Count; i++)
            convolutions[i] = new FusedConvStep.ConvLayer(NativeTensor.Floats(modules[i].weight!), NativeTensor.Floats(modules[i].bias!), null, null,
                i == 0 ? options.ImageChannels : channels[i - 1], maps[i].Height, maps[i].Width, channels[i], maps[i + 1].Height, maps[i + 1].Width);
        hidden = model.Encoder.HiddenLayers.Select(LayerOf).ToArray();
        mean = LayerOf(model.Encoder.MeanHead);
        logVariance = LayerOf(model.Encoder.LogVarianceHead);
        workerFloats = (long)inputSize * TileColumns + convolutions.Sum(l => (long)l.OutFeatures) * TileColumns
            + hidden.Sum(l => (long)l.Outputs) * TileColumns + 2L * latentSize * TileColumns
            + convolutions.Max(l => FusedConvStep.BlockScratchFloatsFor(l, TileColumns));
    }

    /// <summary>
    /// The encoder for <paramref name="model"/> when this processor allows it and the model is the built-in
    /// convolutional network with ReLU that the fused kernels implement (float32 on the CPU), else null.
    /// </summary>
    public static FusedEncoder? TryCreate(VariationalAutoencoder model)
    {
        if (model.Options.Architecture != VaeArchitecture.Convolutional || !Sgemm.IsSupported || !model.HasBuiltInDistributions
            || !FusedStepPolicy.CheckNetwork(model.Options, convolutional: true).IsEligible || !FusedStepPolicy.IsReluConvolutional(model))
            return null;
        var first = model.parameters().First();
        if (first.device_type != DeviceType.CPU || first.dtype != ScalarType.Float32 || model.parameters().Any(p => !p.is_contiguous()))
            return null;
        return new FusedEncoder(model);
    }

    /// <summary>
    /// The posterior mean and log-variance of every row of <paramref name="input"/> (<c>[N, InputSize]</c>, a contiguous
    /// float32 CPU tensor), each <c>[N, LatentSize]</c> float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (Tensor Mean, Tensor LogVariance) Posterior(Tensor input, int threads)
    {
        var count = (int)input.shape[0];
        var means = empty(count, latentSize, dtype: ScalarType.Float32);
        var logVariances = empty(count, latentSize, dtype: ScalarType.Float32);
        if (count == 0) return (means, logVariances);
        var (rows, meanRows, logVarianceRows) = ((nint)NativeTensor.Floats(input), (nint)NativeTensor.Floats(means), (nint)NativeTensor.Floats(logVariances));
        var tiles = (count + TileColumns - 1) / TileColumns;
        var bases = WorkerBuffers(Math.Clamp(Math.Min(threads, tiles), 1, MaxWorkers));
        KernelThreads.Run(tiles, bases.Length, (tile, worker) =>
        {
            var first = tile * TileColumns;
            var width = Math.Min(TileColumns, count - first);
            EncodeTile((float*)rows + (nint)first * inputSize, width, (float*)bases[worker],
                (float*)meanRows + (nint)first * latentSize, (float*)logVarianceRows + (nint)first * latentSize);
        });
        // A guarded arena (the tests') reports here which worker's buffer a kernel of this call wrote past.
        arena!.Check();
        return (means, logVariances);
    }

    // Both heads for `width` images from `images` (row-major) into meanRows and logVarianceRows (row-major).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EncodeTile(float* images, int width, float* buffer, float* meanRows, float* logVarianceRows)
    {
        var columns = FeatureMajor.RoundUp16(width);
        var next = buffer;
        float* Take(long floats)
        {
            var taken = next;
            next += floats;
            return taken;
        }
        var activation = Take((long)inputSize * TileColumns);
        FeatureMajor.Transpose(images, width, inputSize, inputSize, activation, columns);
        var convolutionOutputs = convolutions.Select(l => (nint)Take((long)l.OutFeatures * TileColumns)).ToArray();
        var hiddenOutputs = hidden.Select(l => (nint)Take((long)l.Outputs * TileColumns)).ToArray();
        var meanT = Take((long)latentSize * TileColumns);
        var logVarianceT = Take((long)latentSize * TileColumns);
        var scratch = next;
        for (var i = 0; i < convolutions.Length; i++)
        {
            FusedConvStep.ConvolutionForward(convolutions[i], activation, (float*)convolutionOutputs[i], columns, 1, scratch);
            activation = (float*)convolutionOutputs[i];
        }
        for (var i = 0; i < hidden.Length; i++)
        {
            hidden[i].Forward(activation, (float*)hiddenOutputs[i], columns, 1, relu: true);
            activation = (float*)hiddenOutputs[i];
        }
        mean.Forward(activation, meanT, columns, 1, relu: false);
        logVariance.Forward(activation, logVarianceT, columns, 1, relu: false);
        FeatureMajor.Transpose(meanT, latentSize, width, columns, meanRows, latentSize, zeroPadding: false);
        FeatureMajor.Transpose(logVarianceT, latentSize, width, columns, logVarianceRows, latentSize, zeroPadding: false);
    }

    // One buffer of workerFloats for each of `workers` workers, grown when more are asked for than before.
    private nint[] WorkerBuffers(int workers)
    {
        if (workers > workerBases.Length)
        {
            arena?.Dispose();
            arena = null;
            arena = new NativeArena(workerFloats * workers);
            workerBases = new nint[workers];
            for (var w = 0; w < workers; w++) workerBases[w] = (nint)arena.Take(workerFloats);
        }
        return workerBases[..workers];
    }

    public void Dispose()
    {
        arena?.Dispose();
        arena = null;
        workerBases = [];
    }
}
