using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Vae.Core.Kernels;

/// <summary>
/// One training step of the convolutional VAE (<see cref="VaeArchitecture.Convolutional"/>: strided convolutions with
/// kernel 4, stride 2 and padding 1 and ReLU, the fully connected middle, transposed convolutions back up), worked by
/// hand on the CPU as <see cref="FusedMlpStep"/> works an MLP: forward pass, summed negative ELBO and every
/// parameter's gradient, written into the optimizer's flat gradient buffer, with the noise autograd's path draws.
/// </summary>
/// <remarks>
/// Every activation is kept feature-major as in the MLP step, <c>[features, batch]</c> with the batch padded to 16
/// columns; for a feature map the features are channel, row, column in libtorch's order, so a map is
/// <c>[channels, height, width, batch]</c> and the flattening before the first fully connected layer costs nothing.
/// A convolution is an im2col (rows channel x 4 x 4, each a copy of whole batch vectors) into one matrix product;
/// a transposed convolution is a matrix product into columns that col2im adds up (the adjoint of the same im2col).
/// Backward, the input gradient of a convolution is a col2im and that of a transposed convolution an im2col, and
/// every weight gradient is one product over all pixels and the batch. The padding columns of every gradient are zero,
/// so sums over them add nothing.
/// </remarks>
internal sealed unsafe class FusedConvStep : IFusedStep
{
    internal const int Kernel = 16; // 4 x 4 taps

    private readonly ConvLayer[] convolutions;
    private readonly DenseLayer[] encoderLayers;
    private readonly DenseLayer mean;
    private readonly DenseLayer logVar;
    private readonly DenseLayer[] decoderLayers;
    private readonly ConvLayer[] deconvolutions;
    private readonly int inputSize;
    private readonly int latentSize;
    private readonly FusedOutput output;
    private readonly FusedVariance variance;
    private int columns;
    private NativeArena? arena;
    private float* gathered;
    private float* inputT;
    private float*[] convolutionT = [];
    private float*[] encoderT = [];
    private float* meanT;
    private float* logVarT;
    private float* stdT;
    private float* epsT;
    private float* zT;
    private float*[] decoderT = [];
    private float*[] deconvolutionT = [];
    private float* gradientA;
    private float* gradientB;
    private float* imageColumns;
    private float* blockScratch;
    private float* transposed;
    private float* productScratch;
    private float* lossScratch;
    private double[] lossBlockSums = [];
    private float* elementwise;
    private float* weightScratch;
    private float* batchRows;

    /// <summary>Phase names for <see cref="PhaseEnded"/>, in order.</summary>
    internal static readonly string[] Phases =
    [
        "noise", "convolutions forward", "dense forward, z", "transposed convolutions forward", "loss",
        "transposed convolutions backward", "dense backward", "convolutions backward",
    ];

    /// <summary>Called with a phase's index as it ends (for the profiler); null in normal use.</summary>
    internal Action<int>? PhaseEnded { get; set; }

    private FusedConvStep(VariationalAutoencoder model, Tensor flatParameters, Tensor flatGradients)
    {
        var options = model.Options;
        inputSize = options.InputSize;
        latentSize = options.LatentSize;
        var weights = NativeTensor.Floats(flatParameters);
        var gradients = NativeTensor.Floats(flatGradients);
        var total = flatParameters.numel();

        long OffsetOf(Tensor parameter)
        {
            var offset = NativeTensor.Floats(parameter) - weights;
            if (offset < 0 || offset + parameter.numel() > total)
                throw new ArgumentException("The model's parameters are not views of the flat parameter buffer.", nameof(flatParameters));
            return offset;
        }

        DenseLayer LayerOf(Linear layer)
        {
            var weightOffset = OffsetOf(layer.weight!);
            var biasOffset = OffsetOf(layer.bias!);
            return new DenseLayer(weights + weightOffset, weights + biasOffset, gradients + weightOffset, gradients + biasOffset, (int)layer.in_features, (int)layer.out_features);
        }

        ConvLayer ConvOf(Tensor weight, Tensor bias, int inChannels, int outChannels, (int Height, int Width) inMap, (int Height, int Width) outMap, bool transposedConvolution)
        {
            // Conv2d's weight is [out, in, 4, 4], ConvTranspose2d's [in, out, 4, 4]; anything else is not the layer the kernels compute.
            long[] expected = transposedConvolution ? [inChannels, outChannels, 4, 4] : [outChannels, inChannels, 4, 4];
            if (!weight.shape.SequenceEqual(expected) || bias.numel() != outChannels)
                throw new ArgumentException($"A convolution's weight is [{string.Join(", ", weight.shape)}], not the [{string.Join(", ", expected)}] its options describe.", nameof(model));
            var weightOffset = OffsetOf(weight);
            var biasOffset = OffsetOf(bias);
            return new ConvLayer(weights + weightOffset, weights + biasOffset, gradients + weightOffset, gradients + biasOffset,
                inChannels, inMap.Height, inMap.Width, outChannels, outMap.Height, outMap.Width);
        }

        var maps = options.FeatureMapSizes();
        var channels = options.ConvChannels;
        var encoderConvs = model.Encoder.Convolutions;
        var decoderConvs = model.Decoder.Deconvolutions;
        if (encoderConvs.Count != channels.Count || decoderConvs.Count != channels.Count)
            throw new ArgumentException($"The model has {encoderConvs.Count} convolutions and {decoderConvs.Count} transposed ones, not the {channels.Count} its options describe.", nameof(model));
        convolutions = new ConvLayer[channels.Count];
        for (var i = 0; i < channels.Count; i++)
        {
            var conv = encoderConvs[i];
            convolutions[i] = ConvOf(conv.weight!, conv.bias!, i == 0 ? options.ImageChannels : channels[i - 1], channels[i], maps[i], maps[i + 1], transposedConvolution: false);
        }
        deconvolutions = new ConvLayer[channels.Count];
        for (var j = 0; j < channels.Count; j++)
        {
            var i = channels.Count - 1 - j;
            var deconv = decoderConvs[j];
            deconvolutions[j] = ConvOf(deconv.weight!, deconv.bias!, channels[i], i > 0 ? channels[i - 1] : options.ImageChannels, maps[i + 1], maps[i], transposedConvolution: true);
        }
        encoderLayers = model.Encoder.HiddenLayers.Select(LayerOf).ToArray();
        mean = LayerOf(model.Encoder.MeanHead);
        logVar = LayerOf(model.Encoder.LogVarianceHead);
        decoderLayers = model.Decoder.FullyConnectedLayers.Select(LayerOf).ToArray();
        output = model.Likelihood.Fused!;
        var learnedOffset = model.Decoder.LogVariance is { } learned ? OffsetOf(learned) : -1;
        variance = learnedOffset < 0
            ? new FusedVariance((float)Math.Log(options.GaussianVariance), null, null)
            : new FusedVariance(0, weights + learnedOffset, gradients + learnedOffset);
        var dense = encoderLayers.Append(mean).Append(logVar).Concat(decoderLayers).Sum(l => (long)l.Inputs * l.Outputs + l.Outputs);
        var convolutional = convolutions.Concat(deconvolutions).Sum(l => (long)l.InChannels * l.OutChannels * Kernel + l.OutChannels);
        var known = dense + convolutional + (variance.LogVariances is null ? 0 : inputSize);
        var flattened = convolutions[^1].OutFeatures;
        CoversEveryParameter = known == total && known == model.parameters().Sum(p => p.numel())
            && (encoderLayers.Length == 0 ? mean.Inputs : encoderLayers[0].Inputs) == flattened
            && decoderLayers[^1].Outputs == flattened && deconvolutions[^1].OutFeatures == inputSize;
    }

    // False if the model holds parameters this step does not know, which it would then leave without gradients.
    private bool CoversEveryParameter { get; }

    /// <summary>
    /// A fused step for the convolutional <paramref name="model"/> when <see cref="FusedStepPolicy.Check"/> allows one
    /// and the model is built as the step expects, else null.
    /// </summary>
    public static FusedConvStep? TryCreate(VariationalAutoencoder model, VaeTrainerOptions options, Tensor flatParameters, Tensor flatGradients)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Options.Architecture != VaeArchitecture.Convolutional
            || !FusedStepPolicy.Check(model.Options, options, flatParameters.device_type, flatParameters.dtype).IsEligible
            || !FusedStepPolicy.IsReluConvolutional(model))
            return null;
        var step = new FusedConvStep(model, flatParameters, flatGradients);
        if (step.CoversEveryParameter) return step;
        step.Dispose();
        return null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (float Loss, float Reconstruction, float Kl) Run(Tensor batch, double beta, Generator generator, int threads)
    {
        var rows = (int)batch.shape[0];
        EnsureCapacity(FeatureMajor.RoundUp16(rows));
        var input = NativeTensor.Floats(batch);
        LoadBatch(input, null, rows, threads);
        return Run(rows, beta, generator, threads);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (float Loss, float Reconstruction, float Kl) Run(Tensor source, Tensor rows, double beta, Generator generator, int threads)
    {
        var count = (int)rows.shape[0];
        EnsureCapacity(FeatureMajor.RoundUp16(count));
        LoadBatch(NativeTensor.Floats(source), NativeTensor.Longs(rows), count, threads);
        return Run(count, beta, generator, threads);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double Reconstruction, double Kl) Evaluate(Tensor data, int batchSize, Generator generator, int threads)
    {
        EnsureCapacity(Math.Max(columns, 128));
        var slice = columns;
        var count = (int)data.shape[0];
        var source = NativeTensor.Floats(data);
        var (reconstruction, kl) = (0.0, 0.0);
        for (var start = 0; start < count; start += batchSize)
        {
            var rows = Math.Min(batchSize, count - start);
            using var eps = randn([rows, latentSize], dtype: ScalarType.Float32, generator: generator);
            var noise = NativeTensor.Floats(eps);
            for (var first = 0; first < rows; first += slice)
            {
                var sliceRows = Math.Min(slice, rows - first);
                LoadBatch(source + (nint)(start + first) * inputSize, null, sliceRows, threads);
                var (sliceReconstruction, sliceKl) = Forward(noise + (nint)first * latentSize, sliceRows, threads);
                reconstruction += sliceReconstruction;
                kl += sliceKl;
            }
        }
        return (reconstruction, kl);
    }

    public void Dispose()
    {
        arena?.Dispose();
        arena = null;
        columns = 0;
    }

    // The batch feature-major into inputT, as the MLP step loads it (sixteen rows per part).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LoadBatch(float* source, long* indices, int rows, int threads)
    {
        var padded = FeatureMajor.RoundUp16(rows);
        var groups = padded / 16;
        var parts = KernelThreads.PartsFor(groups, threads);
        var (from, rowIndices) = ((nint)source, (nint)indices);
        KernelThreads.Run(parts, threads, part =>
        {
            var first = Math.Min(rows, groups * part / parts * 16);
            var last = Math.Min(rows, groups * (part + 1) / parts * 16);
            var input = (float*)from;
            if (rowIndices != 0)
            {
                var rowBytes = (long)inputSize * sizeof(float);
                for (var r = first; r < last; r++)
                    Buffer.MemoryCopy(input + ((long*)rowIndices)[r] * inputSize, gathered + (nint)r * inputSize, rowBytes, rowBytes);
                input = gathered;
            }
            FeatureMajor.Transpose(input + (nint)first * inputSize, last - first, inputSize, inputSize, inputT + first, padded, zeroPadding: false);
        });
        FeatureMajor.ClearPadding(inputT, inputSize, rows, padded);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (float Loss, float Reconstruction, float Kl) Run(int rows, double beta, Generator generator, int threads)
    {
        var padded = FeatureMajor.RoundUp16(rows);
        using var eps = randn([rows, latentSize], dtype: ScalarType.Float32, generator: generator);
        PhaseEnded?.Invoke(0);
        var (reconstruction, kl) = Forward(NativeTensor.Floats(eps), rows, threads);

        // Decoder: from the gradient of the output (in place of the output) down to z.
        var gradient = deconvolutionT[^1];
        for (var j = deconvolutions.Length - 1; j >= 0; j--)
        {
            var layer = deconvolutions[j];
            var layerInput = j == 0 ? decoderT[^1] : deconvolutionT[j - 1];
            var next = Other(gradient);
            DeconvolutionBackward(layer, gradient, layerInput, next, padded, threads);
            ReluMask(next, layerInput, (long)layer.InFeatures * padded);
            gradient = next;
        }
        PhaseEnded?.Invoke(5);
        for (var i = decoderLayers.Length - 1; i >= 0; i--)
        {
            var layerInput = i == 0 ? zT : decoderT[i - 1];
            var next = Other(gradient);
            DenseBackward(decoderLayers[i], gradient, layerInput, next, padded, threads, accumulate: false);
            if (i > 0) ReluMask(next, layerInput, (long)decoderLayers[i].Inputs * padded);
            gradient = next;
        }

        // Through the reparameterization and the KL term into the heads (dmean into z's buffer, dlogvar into eps's).
        ReparameterizationGradients(gradient, (float)beta, rows, padded);
        var encoded = encoderLayers.Length == 0 ? convolutionT[^1] : encoderT[^1];
        var encodedGradient = Other(gradient);
        DenseBackward(mean, zT, encoded, encodedGradient, padded, threads, accumulate: false);
        DenseBackward(logVar, epsT, encoded, encodedGradient, padded, threads, accumulate: true);
        gradient = encodedGradient;
        for (var i = encoderLayers.Length - 1; i >= 0; i--)
        {
            ReluMask(gradient, encoderT[i], (long)encoderLayers[i].Outputs * padded);
            var layerInput = i == 0 ? convolutionT[^1] : encoderT[i - 1];
            var next = Other(gradient);
            DenseBackward(encoderLayers[i], gradient, layerInput, next, padded, threads, accumulate: false);
            gradient = next;
        }
        PhaseEnded?.Invoke(6);
        for (var i = convolutions.Length - 1; i >= 0; i--)
        {
            var layer = convolutions[i];
            ReluMask(gradient, convolutionT[i], (long)layer.OutFeatures * padded);
            var layerInput = i == 0 ? inputT : convolutionT[i - 1];
            var next = Other(gradient);
            ConvolutionBackward(layer, gradient, layerInput, i == 0 ? null : next, padded, threads);
            gradient = next;
        }
        PhaseEnded?.Invoke(7);

        // A guarded arena (the tests') reports here which buffer a kernel of this step wrote past.
        arena?.Check();
        var loss = (float)(reconstruction + beta * kl);
        return (loss, (float)reconstruction, (float)kl);
    }

    private float* Other(float* gradient) => gradient == gradientA ? gradientB : gradientA;

    // The forward pass of the batch in inputT with the noise eps ([rows, LatentSize], row-major), and the summed
    // reconstruction term and KL, leaving the gradient of the reconstruction term in place of the decoder's output.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double Reconstruction, double Kl) Forward(float* eps, int rows, int threads)
    {
        var padded = FeatureMajor.RoundUp16(rows);
        var activation = inputT;
        for (var i = 0; i < convolutions.Length; i++)
        {
            ConvolutionForward(convolutions[i], activation, convolutionT[i], padded, threads);
            activation = convolutionT[i];
        }
        PhaseEnded?.Invoke(1);
        for (var i = 0; i < encoderLayers.Length; i++)
        {
            encoderLayers[i].Forward(activation, encoderT[i], padded, threads, relu: true);
            activation = encoderT[i];
        }
        mean.Forward(activation, meanT, padded, threads, relu: false);
        logVar.Forward(activation, logVarT, padded, threads, relu: false);

        // z = mean + eps exp(logvar / 2), as Reparameterization.Sample computes it.
        FeatureMajor.Transpose(eps, rows, latentSize, latentSize, epsT, padded);
        var latentCount = latentSize * padded;
        var stdSpan = new Span<float>(stdT, latentCount);
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(logVarT, latentCount), 0.5f, stdSpan);
        TensorPrimitives.Exp(stdSpan, stdSpan);
        TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(epsT, latentCount), stdSpan, new ReadOnlySpan<float>(meanT, latentCount), new Span<float>(zT, latentCount));
        FeatureMajor.ClearPadding(zT, latentSize, rows, padded);

        activation = zT;
        for (var i = 0; i < decoderLayers.Length; i++)
        {
            decoderLayers[i].Forward(activation, decoderT[i], padded, threads, relu: true);
            activation = decoderT[i];
        }
        PhaseEnded?.Invoke(2);
        for (var j = 0; j < deconvolutions.Length; j++)
        {
            DeconvolutionForward(deconvolutions[j], activation, deconvolutionT[j], padded, threads, relu: j < deconvolutions.Length - 1);
            activation = deconvolutionT[j];
        }
        PhaseEnded?.Invoke(3);

        var reconstruction = output.LossAndGradient(deconvolutionT[^1], inputT, inputSize, rows, padded, threads, lossScratch, lossBlockSums, variance);
        var kl = KlDivergence(rows, padded);
        PhaseEnded?.Invoke(4);
        return (reconstruction, kl);
    }

    // out = relu(W im2col(in) + b): [OutChannels, OutPixels x padded], a block of output pixels at a time: each part
    // writes the im2col of its block into its worker's scratch (small enough for the L2 cache) and multiplies it at
    // once, rather than writing the whole batch's im2col (12.8 MB for the second convolution) to memory and reading
    // it back. Each output element is still one sum over the taps in order, so the block size changes no bit.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ConvolutionForward(ConvLayer layer, float* input, float* output, int padded, int threads) =>
        ConvolutionForward(layer, input, output, padded, threads, blockScratch);

    // The same with each worker's im2col block in blockScratch + worker x BlockScratchFloatsFor(layer, padded); also
    // the encoder's forward pass of FusedEncoder, one worker per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ConvolutionForward(ConvLayer layer, float* input, float* output, int padded, int threads, float* blockScratch)
    {
        var outColumns = (nint)layer.OutPixels * padded;
        var taps = layer.InChannels * Kernel;
        var blockPixels = BlockPixels(layer, padded);
        var blocks = (layer.OutPixels + blockPixels - 1) / blockPixels;
        var workers = Math.Min(threads, MaxScratchWorkers);
        var parts = KernelThreads.PartsFor(blocks, workers);
        var (from, to) = ((nint)input, (nint)output);
        var scratchFloats = (nint)taps * blockPixels * padded;
        KernelThreads.Run(parts, workers, (part, worker) =>
        {
            var scratch = blockScratch + worker * scratchFloats;
            for (var block = blocks * part / parts; block < blocks * (part + 1) / parts; block++)
            {
                var first = block * blockPixels;
                var count = Math.Min(blockPixels, layer.OutPixels - first);
                var width = (nint)count * padded;
                ImageToColumnsBlock((float*)from, layer.InChannels, layer.InHeight, layer.InWidth, layer.OutWidth, first, count, scratch, padded);
                var target = (float*)to + (nint)first * padded;
                Sgemm.Multiply(layer.OutChannels, (int)width, taps, layer.Weight, taps, 1, scratch, width, target, outColumns, accumulate: false, threads: 1);
                for (var c = 0; c < layer.OutChannels; c++)
                {
                    var row = new Span<float>(target + c * outColumns, (int)width);
                    TensorPrimitives.Add(row, layer.Bias[c], row);
                    TensorPrimitives.Max(row, 0f, row);
                }
            }
        });
    }

    // Floats of one worker's im2col block in ConvolutionForward.
    internal static long BlockScratchFloatsFor(ConvLayer layer, int padded) => (long)layer.InChannels * Kernel * BlockPixels(layer, padded) * padded;

    // Output pixels per block of ConvolutionForward: the block's im2col within about 256 KiB.
    private static int BlockPixels(ConvLayer layer, int padded) =>
        Math.Clamp(BlockScratchFloats / (layer.InChannels * Kernel * padded), 1, layer.OutPixels);

    // Floats of one worker's im2col block, unless a single pixel's taps need more.
    private const int BlockScratchFloats = 1 << 16;

    // Workers with scratch of their own for the blocked convolution (at most this many threads share one).
    private const int MaxScratchWorkers = 8;

    // The im2col of output pixels first .. first + count - 1 (row-major over the output map of width outWidth):
    // block[(c, ky, kx), (pixel - first), n], rows count x padded long.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ImageToColumnsBlock(float* image, int channels, int height, int width, int outWidth, int first, int count, float* block, int padded)
    {
        var vectorBytes = (long)padded * sizeof(float);
        var rowLength = (nint)count * padded;
        for (var row = 0; row < channels * Kernel; row++)
        {
            var (c, ky, kx) = (row / Kernel, row / 4 % 4, row % 4);
            var plane = image + (nint)c * height * width * padded;
            var destination = block + row * rowLength;
            for (var i = 0; i < count; i++)
            {
                var (y, x) = ((first + i) / outWidth, (first + i) % outWidth);
                var (iy, ix) = (2 * y - 1 + ky, 2 * x - 1 + kx);
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) new Span<float>(destination + (nint)i * padded, padded).Clear();
                else Buffer.MemoryCopy(plane + ((nint)iy * width + ix) * padded, destination + (nint)i * padded, vectorBytes, vectorBytes);
            }
        }
    }

    // out = act(col2im(W^T in) + b): the transposed convolution of kernel 4 and stride 2, unpadded, cropped by one at the start.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DeconvolutionForward(ConvLayer layer, float* input, float* output, int padded, int threads, bool relu)
    {
        var taps = layer.OutChannels * Kernel;
        FeatureMajor.Transpose(layer.Weight, layer.InChannels, taps, taps, weightScratch, layer.InChannels, zeroPadding: false);
        DeconvolutionForward(layer, input, output, imageColumns, padded, threads, relu, weightScratch, TrainingChannelGroup);
    }

    // Output channels per product in the training step's transposed convolutions (settable for the profiler, --group):
    // a group's columns (8 x 16 rows of the batch's pixels) are still in cache when col2im adds them up, where the whole
    // layer's (12.8 MB for the first) went out to memory and back. Measured on one thread (`conv --profile --group N`,
    // Zen 4, two rounds): 7.7-8.6 ms for one product, 5.4-5.9 for groups of 8, 5.5-6.1 for 4, 7.4-7.6 for 16.
    internal static int TrainingChannelGroup { get; set; } = 8;

    // The same with the columns of the product in imageColumns (OutChannels x 16 x InPixels x padded floats); also
    // the decoder's forward pass of FusedLikelihood, which passes the weight transposed, [OutChannels x 16, InChannels]
    // row-major, in weightByTap: the same products, but reading libtorch's [in, out x 16] layout down its columns
    // steps 2 KiB per input channel for 32 output channels, which maps into a few sets of the L1 cache.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DeconvolutionForward(ConvLayer layer, float* input, float* output, float* imageColumns, int padded, int threads, bool relu, float* weightByTap = null, int channelGroup = int.MaxValue)
    {
        var inColumns = (nint)layer.InPixels * padded;
        var taps = layer.OutChannels * Kernel;
        if (weightByTap is null)
        {
            Sgemm.Multiply(taps, (int)inColumns, layer.InChannels, layer.Weight, 1, taps, input, inColumns, imageColumns, inColumns, accumulate: false, threads);
            ColumnsToImage(imageColumns, layer.OutChannels, layer.OutHeight, layer.OutWidth, output, layer.InHeight, layer.InWidth, padded, threads);
            BiasAndActivation(output, layer.Bias, layer.OutChannels, (nint)layer.OutPixels * padded, relu, threads);
            return;
        }
        // channelGroup output channels at a time (FusedLikelihood: three, 48 rows, eight tiles of six), so that their
        // columns are still in the cache when col2im adds them up; each element is the same sum as in one product.
        var outColumns = (nint)layer.OutPixels * padded;
        var group = Math.Clamp(channelGroup, 1, layer.OutChannels);
        for (var first = 0; first < layer.OutChannels; first += group)
        {
            var count = Math.Min(group, layer.OutChannels - first);
            Sgemm.Multiply(count * Kernel, (int)inColumns, layer.InChannels, weightByTap + (nint)first * Kernel * layer.InChannels, layer.InChannels, 1, input, inColumns, imageColumns, inColumns, accumulate: false, threads);
            ColumnsToImage(imageColumns, count, layer.OutHeight, layer.OutWidth, output + first * outColumns, layer.InHeight, layer.InWidth, padded, threads);
            BiasAndActivation(output + first * outColumns, layer.Bias + first, count, outColumns, relu, threads);
        }
    }

    // Output channels per product in DeconvolutionForward when the weight comes transposed (settable for the benchmark):
    // measured here at 32 samples a tile, under contention, ~8,200 decoded samples per CPU-second against ~7,000 for one product.
    internal static int ChannelGroup { get; set; } = 3;

    /// <summary>Whether the wide dense layers' input gradients are computed batch row by row, dY^T W, and transposed (settable for the profiler).</summary>
    internal static bool DenseInputGradientByRows { get; set; } = true;

    /// <summary>Whether the dense layers' input gradients read the weight transposed to row-major (settable for the profiler).</summary>
    internal static bool TransposeDenseWeights { get; set; } = true;

    // From the gradient of a convolution's output (ReLU already applied): its weight and bias gradients and, unless
    // inputGradient is null, the gradient of its input (col2im of W^T dout).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ConvolutionBackward(ConvLayer layer, float* gradient, float* input, float* inputGradient, int padded, int threads)
    {
        var outColumns = (nint)layer.OutPixels * padded;
        var taps = layer.InChannels * Kernel;
        RowSums(gradient, layer.OutChannels, outColumns, layer.BiasGradient);
        var columns = new ImageColumns(input, layer.InChannels, layer.InHeight, layer.InWidth, layer.OutHeight, layer.OutWidth, padded);
        if (BlockedBackward)
            ProductWithColumns(gradient, layer.OutChannels, columns, layer.WeightGradient, threads, inputGradient: null);
        else
        {
            ImageToColumns(columns, imageColumns, threads);
            ProductWithTranspose(gradient, layer.OutChannels, imageColumns, taps, outColumns, layer.WeightGradient, threads);
        }
        if (inputGradient is null) return;
        // W^T dout from W^T laid out row-major ([taps, OutChannels]): reading W [OutChannels, taps] down its columns
        // steps taps floats (2 KiB for 32 input channels) per output channel, which maps into a few sets of the L1 cache.
        FeatureMajor.Transpose(layer.Weight, layer.OutChannels, taps, taps, weightScratch, layer.OutChannels, zeroPadding: false);
        // In groups of input channels, as the transposed convolutions forward, so that col2im reads the columns from cache.
        var group = BlockedBackward ? Math.Clamp(TrainingChannelGroup, 1, layer.InChannels) : layer.InChannels;
        var inPlanes = (nint)layer.InPixels * padded;
        for (var first = 0; first < layer.InChannels; first += group)
        {
            var count = Math.Min(group, layer.InChannels - first);
            Sgemm.Multiply(count * Kernel, (int)outColumns, layer.OutChannels, weightScratch + (nint)first * Kernel * layer.OutChannels, layer.OutChannels, 1, gradient, outColumns, imageColumns, outColumns, accumulate: false, threads);
            ColumnsToImage(imageColumns, count, layer.InHeight, layer.InWidth, inputGradient + first * inPlanes, layer.OutHeight, layer.OutWidth, padded, threads);
        }
    }

    // From the gradient of a transposed convolution's output: its weight and bias gradients and the gradient of its
    // input, W im2col(dout) (before the ReLU mask of the input).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DeconvolutionBackward(ConvLayer layer, float* gradient, float* input, float* inputGradient, int padded, int threads)
    {
        var inColumns = (nint)layer.InPixels * padded;
        var taps = layer.OutChannels * Kernel;
        RowSums(gradient, layer.OutChannels, (nint)layer.OutPixels * padded, layer.BiasGradient);
        var columns = new ImageColumns(gradient, layer.OutChannels, layer.OutHeight, layer.OutWidth, layer.InHeight, layer.InWidth, padded);
        if (BlockedBackward)
        {
            ProductWithColumns(input, layer.InChannels, columns, layer.WeightGradient, threads, new InputGradient(layer.Weight, layer.InChannels, inputGradient));
            return;
        }
        ImageToColumns(columns, imageColumns, threads);
        ProductWithTranspose(input, layer.InChannels, imageColumns, taps, inColumns, layer.WeightGradient, threads);
        Sgemm.Multiply(layer.InChannels, (int)inColumns, taps, layer.Weight, taps, 1, imageColumns, inColumns, inputGradient, inColumns, accumulate: false, threads);
    }

    // dW = dY X^T and db = row sums of dY for a fully connected layer, and its input gradient W^T dY (added to what is
    // there when accumulating, for the second head).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DenseBackward(DenseLayer layer, float* gradient, float* input, float* inputGradient, int padded, int threads, bool accumulate)
    {
        RowSums(gradient, layer.Outputs, padded, layer.BiasGradient);
        ProductWithTranspose(gradient, layer.Outputs, input, layer.Inputs, padded, layer.WeightGradient, threads);
        if (!TransposeDenseWeights)
        {
            Sgemm.Multiply(layer.Inputs, padded, layer.Outputs, layer.Weight, 1, layer.Inputs, gradient, padded, inputGradient, padded, accumulate, threads);
            return;
        }
        if (DenseInputGradientByRows && !accumulate && layer.Outputs >= 64)
        {
            // (dY^T W)^T: the same products summed in the same order as W^T dY, with W read row-major as it lies, so
            // the transpose moves the batch's gradient ([inputs, padded]) instead of the weight (3,136 x 400, from
            // beyond the caches after the optimizer's step: about 1 ms per layer on one thread).
            // The threads share out panels of 64 columns (the matrix kernel's tile, so no column changes kernel), each
            // reading its part of W once; shared out by rows, each would read all of it.
            var panels = (layer.Inputs + 63) / 64;
            var parts = KernelThreads.PartsFor(panels, threads);
            var (dY, w, rowsOut, inputs, outputs) = ((nint)gradient, (nint)layer.Weight, (nint)batchRows, layer.Inputs, layer.Outputs);
            KernelThreads.Run(parts, threads, part =>
            {
                var (first, last) = (panels * part / parts * 64, Math.Min(inputs, panels * (part + 1) / parts * 64));
                Sgemm.Multiply(padded, last - first, outputs, (float*)dY, 1, padded, (float*)w + first, inputs, (float*)rowsOut + first, inputs, accumulate: false, threads: 1);
            });
            TransposeInParts(batchRows, padded, layer.Inputs, inputGradient, threads);
            return;
        }
        // W^T dY from W^T laid out row-major: read down its columns, W (3,136 x 400 for the first encoder layer) would be
        // streamed from beyond L2 once per panel of 16 batch columns, six floats of each cache line used per visit.
        TransposeInParts(layer.Weight, layer.Outputs, layer.Inputs, weightScratch, threads);
        Sgemm.Multiply(layer.Inputs, padded, layer.Outputs, weightScratch, layer.Outputs, 1, gradient, padded, inputGradient, padded, accumulate, threads);
    }

    // Whether the backward passes build each im2col DepthBlock columns at a time, in the cache, for the products that
    // read it (settable for the profiler, --unblocked): the whole im2col (12.8 MB for the second convolution and the
    // first transposed one) was written out to memory and read back once or twice.
    internal static bool BlockedBackward { get; set; } = true;

    // A map and the im2col geometry of its layer (kernel 4, stride 2, padding 1): ImageToColumns builds its im2col
    // whole, ProductWithColumns a block of columns at a time.
    private readonly struct ImageColumns(float* image, int channels, int height, int width, int outHeight, int outWidth, int padded)
    {
        public float* Image { get; } = image;
        public int Channels { get; } = channels;
        public int Height { get; } = height;
        public int Width { get; } = width;
        public int OutHeight { get; } = outHeight;
        public int OutWidth { get; } = outWidth;
        public int Padded { get; } = padded;
        public int Rows => Channels * Kernel;
        public nint Count => (nint)OutHeight * OutWidth * Padded;
    }

    // For a transposed convolution's backward pass: its input gradient, weight[rows, columns' rows] times the columns.
    private readonly struct InputGradient(float* weight, int rows, float* target)
    {
        public float* Weight { get; } = weight;
        public int Rows { get; } = rows;
        public float* Target { get; } = target;
    }

    // result[r, s] = x[r, q] columns[s, q]^T, the product of ProductWithTranspose, with the im2col built DepthBlock
    // columns at a time in the cache and multiplied there; with an input gradient, also weight times the im2col into
    // its target. The blocks are MultiplyInDepthBlocks' depth blocks and every product reads the same values in the
    // same order as from the whole im2col, so no bit changes. Each part of the weight gradient owns whole tiles of its
    // rows and builds only those rows of each block, and each part of the input gradient whole blocks, so a pass
    // synchronises the threads once, not once per block.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProductWithColumns(float* x, int r, ImageColumns columns, float* result, int threads, InputGradient? inputGradient)
    {
        var (s, q) = (columns.Rows, columns.Count);
        if (TransposesY(r, s, q))
        {
            // Few rows of columns (the 16 taps of a one-channel map): the whole im2col is small, transposed as a whole.
            ImageToColumns(columns, imageColumns, threads);
            ProductWithTranspose(x, r, imageColumns, s, q, result, threads);
            if (inputGradient is { } whole)
                Sgemm.Multiply(whole.Rows, (int)q, s, whole.Weight, s, 1, imageColumns, q, whole.Target, q, accumulate: false, threads);
            return;
        }
        TransposeInParts(x, r, q, transposed, threads);
        var tiles = (s + 5) / 6;
        var parts = KernelThreads.PartsFor(tiles, threads);
        var (xT, block, product) = ((nint)transposed, (nint)imageColumns, (nint)productScratch);
        // Rows of the block at one stride whatever the block's depth: the parts reach the shorter last block at
        // different times, and rows laid out by its depth would overlap rows another part is still reading.
        var stride = (int)Math.Min(DepthBlock, q);
        KernelThreads.Run(parts, threads, part =>
        {
            var (first, last) = (tiles * part / parts * 6, Math.Min(s, tiles * (part + 1) / parts * 6));
            for (nint start = 0; start < q; start += DepthBlock)
            {
                var depth = (int)Math.Min(DepthBlock, q - start);
                ImageToColumnsRange(columns, first, last, start, depth, (float*)block, stride);
                Sgemm.Multiply(last - first, r, depth, (float*)block + (nint)first * stride, stride, 1, (float*)xT + start * r, r, (float*)product + (nint)first * r, r, accumulate: start > 0, threads: 1);
            }
        });
        FeatureMajor.Transpose(productScratch, s, r, r, result, s, zeroPadding: false);
        if (inputGradient is not { } g) return;
        var blocks = (int)((q + DepthBlock - 1) / DepthBlock);
        // Each worker's block in imageColumns, which holds s x q floats: as many workers as whole blocks fit.
        var workers = Math.Clamp((int)(q / DepthBlock), 1, Math.Min(threads, MaxScratchWorkers));
        var blockParts = KernelThreads.PartsFor(blocks, workers);
        KernelThreads.Run(blockParts, workers, (part, worker) =>
        {
            var scratch = (float*)block + (nint)worker * s * DepthBlock;
            for (var index = blocks * part / blockParts; index < blocks * (part + 1) / blockParts; index++)
            {
                var start = (nint)index * DepthBlock;
                var depth = (int)Math.Min(DepthBlock, q - start);
                ImageToColumnsRange(columns, 0, s, start, depth, scratch, depth);
                Sgemm.Multiply(g.Rows, depth, s, g.Weight, s, 1, scratch, depth, g.Target + start, q, accumulate: false, threads: 1);
            }
        });
    }

    // block[row * stride + j] = im2col[row, start + j] for rows first .. last - 1 and j below count: ImageToColumns'
    // columns start .. start + count - 1 (any range, not only whole pixels), on the calling thread.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ImageToColumnsRange(ImageColumns columns, int first, int last, nint start, int count, float* block, nint stride)
    {
        var padded = columns.Padded;
        for (var row = first; row < last; row++)
        {
            var (c, ky, kx) = (row / Kernel, row / 4 % 4, row % 4);
            var plane = columns.Image + (nint)c * columns.Height * columns.Width * padded;
            var destination = block + row * stride;
            for (var j = 0; j < count;)
            {
                var column = start + j;
                var pixel = (int)(column / padded);
                var offset = (int)(column - (nint)pixel * padded);
                var length = Math.Min(padded - offset, count - j);
                var (y, x) = (pixel / columns.OutWidth, pixel % columns.OutWidth);
                var (iy, ix) = (2 * y - 1 + ky, 2 * x - 1 + kx);
                var span = new Span<float>(destination + j, length);
                if (iy < 0 || iy >= columns.Height || ix < 0 || ix >= columns.Width) span.Clear();
                else new ReadOnlySpan<float>(plane + ((nint)iy * columns.Width + ix) * padded + offset, length).CopyTo(span);
                j += length;
            }
        }
    }

    // result[R, S] = x[R, Q] y[S, Q]^T, both row-major with rows of length q: one operand transposed (whichever moves
    // fewer floats, counting the transpose of the result when it is x), then one product.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProductWithTranspose(float* x, int r, float* y, int s, nint q, float* result, int threads)
    {
        if (TransposesY(r, s, q))
        {
            TransposeInParts(y, s, q, transposed, threads);
            MultiplyInDepthBlocks(r, s, q, x, transposed, result, threads);
            return;
        }
        TransposeInParts(x, r, q, transposed, threads);
        MultiplyInDepthBlocks(s, r, q, y, transposed, productScratch, threads);
        FeatureMajor.Transpose(productScratch, s, r, r, result, s, zeroPadding: false);
    }

    // c[m, n] = a[m, q] b[q, n], the sum over q in blocks of DepthBlock added in order: the matrix kernel reads a panel
    // of b (depth x 64 columns) once per tile of six rows, so a weight gradient's depth of every pixel of the batch
    // (6,272 for the second convolution) would stream a 1.6 MB panel from memory for each tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyInDepthBlocks(int m, int n, nint q, float* a, float* b, float* c, int threads)
    {
        for (nint start = 0; start < q; start += DepthBlock)
        {
            var depth = (int)Math.Min(DepthBlock, q - start);
            Sgemm.Multiply(m, n, depth, a + start, q, 1, b + start * n, n, c, n, accumulate: start > 0, threads);
        }
    }

    // Rows of b per block of MultiplyInDepthBlocks: a panel of 512 x 64 floats (128 KiB) stays in the L2 cache.
    private const int DepthBlock = 512;

    // The product's columns are s when y is transposed, r when x is: a count that is not a multiple of 8 leaves its
    // last columns to the one-element kernel (for the latent heads' 20 columns, 4 of them at a sixth of the rate), so
    // that side goes to the rows when the other is a multiple of 8; otherwise whichever transpose moves fewer floats.
    // Every element is the same sum either way (the same products in the same order).
    private static bool TransposesY(int r, int s, nint q) =>
        (r % 8 == 0) != (s % 8 == 0) ? s % 8 == 0 : (long)s * q <= (long)r * q + (long)r * s;

    // destination[q, rows] = source[rows, q]: the columns shared out among the threads.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeInParts(float* source, int rows, nint q, float* destination, int threads)
    {
        var groups = (int)((q + 63) / 64);
        var parts = KernelThreads.PartsFor(groups, (long)rows * q < 1 << 16 ? 1 : threads);
        var (from, to) = ((nint)source, (nint)destination);
        KernelThreads.Run(parts, threads, part =>
        {
            var first = Math.Min(q, (nint)groups * part / parts * 64);
            var last = Math.Min(q, (nint)groups * (part + 1) / parts * 64);
            if (last > first)
                FeatureMajor.Transpose((float*)from + first, rows, (int)(last - first), q, (float*)to + first * rows, rows, zeroPadding: false);
        });
    }

    // columns[(c, ky, kx), (y, x), n] = image[c, 2y - 1 + ky, 2x - 1 + kx, n], zero outside the image: the im2col of a
    // convolution with kernel 4, stride 2 and padding 1, whole, the rows shared out among the threads.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ImageToColumns(ImageColumns source, float* columns, int threads)
    {
        var rowsTotal = source.Rows;
        var parts = KernelThreads.PartsFor(rowsTotal, (long)rowsTotal * source.Count < 1 << 16 ? 1 : threads);
        var to = (nint)columns;
        KernelThreads.Run(parts, threads, part =>
            ImageToColumnsRange(source, rowsTotal * part / parts, rowsTotal * (part + 1) / parts, 0, (int)source.Count, (float*)to, source.Count));
    }

    // image[c, Y, X, n] = sum over the taps (ky, kx) and positions (y, x) with 2y - 1 + ky = Y and 2x - 1 + kx = X of
    // columns[(c, ky, kx), (y, x), n]: the adjoint of ImageToColumns, which is also the transposed convolution
    // (unpadded, cropped by one). Each output row is summed in a fixed order by one thread.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnsToImage(float* columns, int channels, int height, int width, float* image, int inHeight, int inWidth, int padded, int threads)
    {
        var rowsTotal = channels * height;
        var parts = KernelThreads.PartsFor(rowsTotal, threads);
        var (from, to) = ((nint)columns, (nint)image);
        var planeColumns = (nint)inHeight * inWidth * padded;
        KernelThreads.Run(parts, threads, part =>
        {
            for (var row = rowsTotal * part / parts; row < rowsTotal * (part + 1) / parts; row++)
            {
                var (c, outY) = (row / height, row % height);
                for (var outX = 0; outX < width; outX++)
                {
                    var destination = new Span<float>((float*)to + (((nint)c * height + outY) * width + outX) * padded, padded);
                    var first = true;
                    for (var ky = 0; ky < 4; ky++)
                    {
                        var ty = outY + 1 - ky;
                        if (ty < 0 || (ty & 1) != 0 || ty / 2 >= inHeight) continue;
                        for (var kx = 0; kx < 4; kx++)
                        {
                            var tx = outX + 1 - kx;
                            if (tx < 0 || (tx & 1) != 0 || tx / 2 >= inWidth) continue;
                            var source = new ReadOnlySpan<float>((float*)from + (c * Kernel + ky * 4 + kx) * planeColumns + ((nint)(ty / 2) * inWidth + tx / 2) * padded, padded);
                            if (first) source.CopyTo(destination);
                            else TensorPrimitives.Add(destination, source, destination);
                            first = false;
                        }
                    }
                    if (first) destination.Clear();
                }
            }
        });
    }

    // rows[c] = act(rows[c] + bias[c]) over `length` columns, the channels shared out among the threads.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BiasAndActivation(float* matrix, float* bias, int rowCount, nint length, bool relu, int threads)
    {
        var parts = KernelThreads.PartsFor(rowCount, (long)rowCount * length < 1 << 16 ? 1 : threads);
        var (data, biases) = ((nint)matrix, (nint)bias);
        KernelThreads.Run(parts, threads, part =>
        {
            for (var c = rowCount * part / parts; c < rowCount * (part + 1) / parts; c++)
            {
                var row = new Span<float>((float*)data + c * length, (int)length);
                TensorPrimitives.Add(row, ((float*)biases)[c], row);
                if (relu) TensorPrimitives.Max(row, 0f, row);
            }
        });
    }

    // sums[c] = the sum of row c (`length` columns; padding columns of a gradient are zero).
    private static void RowSums(float* matrix, int rowCount, nint length, float* sums)
    {
        for (var c = 0; c < rowCount; c++) sums[c] = TensorPrimitives.Sum(new ReadOnlySpan<float>(matrix + c * length, (int)length));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluMask(float* gradientT, float* activationT, long count)
    {
        for (long i = 0; i < count; i += 8)
        {
            var keep = Vector256.GreaterThan(Vector256.Load(activationT + i), Vector256<float>.Zero);
            Vector256.BitwiseAnd(Vector256.Load(gradientT + i), keep).Store(gradientT + i);
        }
    }

    // KL(q || N(0, I)) = -0.5 sum(1 + logvar - mean^2 - exp(logvar)), with exp(logvar) = std^2.
    private double KlDivergence(int rows, int padded)
    {
        var total = 0.0;
        for (var l = 0; l < latentSize; l++)
        {
            var offset = (nint)l * padded;
            total += rows + (double)TensorPrimitives.Sum(new ReadOnlySpan<float>(logVarT + offset, rows))
                - TensorPrimitives.SumOfSquares(new ReadOnlySpan<float>(meanT + offset, rows))
                - TensorPrimitives.SumOfSquares(new ReadOnlySpan<float>(stdT + offset, rows));
        }
        return -0.5 * total;
    }

    // dz arrives in gradientT; dmean = dz + beta mean goes to zT's buffer, dlogvar = dz eps std / 2 + beta (std^2 - 1) / 2 to epsT's.
    private void ReparameterizationGradients(float* gradientT, float beta, int rows, int padded)
    {
        var count = latentSize * padded;
        var dz = new ReadOnlySpan<float>(gradientT, count);
        var dMean = new Span<float>(zT, count);
        var dLogVar = new Span<float>(epsT, count);
        var std = new ReadOnlySpan<float>(stdT, count);
        TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(meanT, count), beta, dz, dMean);
        var scratch = new Span<float>(elementwise, count);
        TensorPrimitives.Multiply(dz, dLogVar, dLogVar);
        TensorPrimitives.Multiply(dLogVar, std, dLogVar);
        TensorPrimitives.Multiply(std, std, scratch);
        TensorPrimitives.Subtract(scratch, 1f, scratch);
        TensorPrimitives.Multiply(scratch, beta, scratch);
        TensorPrimitives.Add(dLogVar, scratch, dLogVar);
        TensorPrimitives.Multiply(dLogVar, 0.5f, dLogVar);
        FeatureMajor.ClearPadding(zT, latentSize, rows, padded);
        FeatureMajor.ClearPadding(epsT, latentSize, rows, padded);
    }

    // Every product of ProductWithTranspose the step makes, as (r, s, q per column of the batch).
    private IEnumerable<(int R, int S, long Q)> Products(int padded) =>
        convolutions.Select(l => (l.OutChannels, l.InChannels * Kernel, (long)l.OutPixels * padded))
            .Concat(deconvolutions.Select(l => (l.InChannels, l.OutChannels * Kernel, (long)l.InPixels * padded)))
            .Concat(encoderLayers.Append(mean).Append(logVar).Concat(decoderLayers).Select(l => (l.Outputs, l.Inputs, (long)padded)));

    private void EnsureCapacity(int padded)
    {
        if (padded <= columns) return;
        Dispose();
        var latent = (long)latentSize * padded;
        var convolutionWidths = convolutions.Select(l => (long)l.OutFeatures * padded).ToArray();
        var encoderWidths = encoderLayers.Select(l => (long)l.Outputs * padded).ToArray();
        var decoderWidths = decoderLayers.Select(l => (long)l.Outputs * padded).ToArray();
        var deconvolutionWidths = deconvolutions.Select(l => (long)l.OutFeatures * padded).ToArray();
        var widest = new[] { (long)inputSize * padded, latent }.Concat(convolutionWidths).Concat(encoderWidths).Concat(decoderWidths).Concat(deconvolutionWidths).Max();
        var columnFloats = convolutions.Select(l => (long)l.InChannels * Kernel * l.OutPixels * padded)
            .Concat(deconvolutions.Select(l => (long)l.OutChannels * Kernel * l.InPixels * padded)).Max();
        var products = Products(padded).ToArray();
        var transposeFloats = products.Max(p => TransposesY(p.R, p.S, (nint)p.Q) ? p.S * p.Q : p.R * p.Q);
        var productFloats = products.Max(p => TransposesY(p.R, p.S, (nint)p.Q) ? 0 : (long)p.R * p.S);
        var blockFloats = MaxScratchWorkers * convolutions.Max(l => (long)l.InChannels * Kernel * BlockPixels(l, padded) * padded);
        var lossFloats = FusedOutput.LossScratchFloats(padded);
        var weightFloats = Math.Max(convolutions.Concat(deconvolutions).Max(l => (long)l.InChannels * l.OutChannels * Kernel),
            encoderLayers.Append(mean).Append(logVar).Concat(decoderLayers).Max(l => (long)l.Inputs * l.Outputs));
        var total = weightFloats + 2L * inputSize * padded + convolutionWidths.Sum() + encoderWidths.Sum() + 5 * latent + decoderWidths.Sum()
            + deconvolutionWidths.Sum() + 2 * widest + columnFloats + blockFloats + transposeFloats + Math.Max(productFloats, 1) + lossFloats + latent + widest;
        var buffers = new NativeArena(total);
        arena = buffers;
        gathered = buffers.Take((long)inputSize * padded);
        inputT = buffers.Take((long)inputSize * padded);
        convolutionT = TakeEach(buffers, convolutionWidths);
        encoderT = TakeEach(buffers, encoderWidths);
        meanT = buffers.Take(latent);
        logVarT = buffers.Take(latent);
        stdT = buffers.Take(latent);
        epsT = buffers.Take(latent);
        zT = buffers.Take(latent);
        decoderT = TakeEach(buffers, decoderWidths);
        deconvolutionT = TakeEach(buffers, deconvolutionWidths);
        gradientA = buffers.Take(widest);
        gradientB = buffers.Take(widest);
        imageColumns = buffers.Take(columnFloats);
        blockScratch = buffers.Take(blockFloats);
        transposed = buffers.Take(transposeFloats);
        productScratch = buffers.Take(Math.Max(productFloats, 1));
        lossScratch = buffers.Take(lossFloats);
        lossBlockSums = new double[FusedOutput.LossBlocks(inputSize, padded)];
        elementwise = buffers.Take(latent);
        weightScratch = buffers.Take(weightFloats);
        batchRows = buffers.Take(widest);
        columns = padded;
    }

    private static float*[] TakeEach(NativeArena buffers, long[] sizes, [CallerLineNumber] int line = 0)
    {
        var taken = new float*[sizes.Length];
        for (var i = 0; i < sizes.Length; i++) taken[i] = buffers.Take(sizes[i], line: line);
        return taken;
    }

    /// <summary>A convolution or transposed convolution (kernel 4, stride 2) as the kernels see it: its weight and bias in libtorch's memory, their gradients, and the maps it reads and writes.</summary>
    internal readonly struct ConvLayer(float* weight, float* bias, float* weightGradient, float* biasGradient, int inChannels, int inHeight, int inWidth, int outChannels, int outHeight, int outWidth)
    {
        public float* Weight { get; } = weight;
        public float* Bias { get; } = bias;
        public float* WeightGradient { get; } = weightGradient;
        public float* BiasGradient { get; } = biasGradient;
        public int InChannels { get; } = inChannels;
        public int InHeight { get; } = inHeight;
        public int InWidth { get; } = inWidth;
        public int OutChannels { get; } = outChannels;
        public int OutHeight { get; } = outHeight;
        public int OutWidth { get; } = outWidth;
        public int InPixels => InHeight * InWidth;
        public int OutPixels => OutHeight * OutWidth;
        public int InFeatures => InChannels * InPixels;
        public int OutFeatures => OutChannels * OutPixels;
    }
}
