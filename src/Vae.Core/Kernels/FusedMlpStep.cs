using System.Diagnostics;
using System.Runtime.CompilerServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>
/// One training step of an MLP VAE (Bernoulli or Gaussian likelihood), worked by hand on the CPU: forward pass, summed
/// negative ELBO and every parameter's gradient, written into the optimizer's flat gradient buffer. It computes what
/// autograd computes for <see cref="VariationalAutoencoder.Forward"/> followed by
/// <see cref="ElboLoss.NegativeElboUnchecked"/> with a summed reduction, with the same noise from the same generator;
/// only the order of float additions differs.
/// </summary>
/// <remarks>
/// Activations are kept feature-major (<c>[features, batch]</c>, the batch padded to 16 columns), so that every
/// forward product and every product for an input gradient is weight times activations with the batch along the
/// vector lanes, and each weight gradient is a product with a row-major copy of that layer's input. The padding columns
/// are zero or ignored: sums over the batch stop at the real batch size.
/// </remarks>
internal sealed unsafe class FusedMlpStep : IFusedStep
{
    private readonly DenseLayer[] encoderLayers;
    private readonly DenseLayer mean;
    private readonly DenseLayer logVar;
    private readonly DenseLayer[] decoderLayers;
    private readonly int inputSize;
    private readonly int latentSize;
    private readonly int widest;
    private readonly VaeLikelihood likelihood;
    private readonly float fixedLogVariance;
    private readonly float* outputLogVariance;
    private readonly float* outputLogVarianceGradient;
    private int columns;
    private NativeArena? arena;
    private float* gathered;
    private float* inputT;
    private float*[] encoderT = [];
    private float* meanT;
    private float* logVarT;
    private float* stdT;
    private float* epsT;
    private float* zT;
    private float*[] decoderT = [];
    private float* gradientA;
    private float* gradientB;
    private float* rowMajor;
    private float* weightScratch;
    private float* lossScratch;
    private double[] lossBlockSums = [];
    private float* elementwise;

    /// <summary>Phase names for <see cref="PhaseEnded"/>, in order.</summary>
    internal static readonly string[] Phases = ["gather, transpose, noise", "encoder forward", "z", "decoder forward", "loss", "decoder backward", "heads backward", "encoder backward"];

    /// <summary>Called with a phase's index as it ends (for the profiler); null in normal use.</summary>
    internal Action<int>? PhaseEnded { get; set; }

    private FusedMlpStep(VariationalAutoencoder model, Tensor flatParameters, Tensor flatGradients)
    {
        var options = model.Options;
        inputSize = (int)options.InputSize;
        latentSize = options.LatentSize;
        var weights = NativeTensor.Floats(flatParameters);
        var gradients = NativeTensor.Floats(flatGradients);
        var total = flatParameters.numel();

        // Where a parameter lies in the flat buffers: the optimizer made every parameter a view of them.
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

        encoderLayers = model.Encoder.HiddenLayers.Select(LayerOf).ToArray();
        mean = LayerOf(model.Encoder.MeanHead);
        logVar = LayerOf(model.Encoder.LogVarianceHead);
        decoderLayers = model.Decoder.FullyConnectedLayers.Select(LayerOf).ToArray();
        widest = Math.Max(Math.Max(inputSize, latentSize), options.HiddenSizes.DefaultIfEmpty(0).Max());
        likelihood = options.Likelihood;
        fixedLogVariance = (float)Math.Log(options.GaussianVariance);
        if (model.Decoder.LogVariance is { } learned)
        {
            var learnedOffset = OffsetOf(learned);
            outputLogVariance = weights + learnedOffset;
            outputLogVarianceGradient = gradients + learnedOffset;
        }
        var layers = encoderLayers.Append(mean).Append(logVar).Concat(decoderLayers);
        var known = layers.Sum(l => (long)l.Inputs * l.Outputs + l.Outputs) + (outputLogVariance is null ? 0 : inputSize);
        CoversEveryParameter = known == total && known == model.parameters().Sum(p => p.numel());
    }

    // False if the model holds parameters this step does not know, which it would then leave without gradients.
    private bool CoversEveryParameter { get; }

    /// <summary>
    /// Whether the step implements training a model of <paramref name="architecture"/> with <paramref name="options"/>
    /// whose parameters are <paramref name="dtype"/> on <paramref name="device"/> on this processor, and if not, why.
    /// </summary>
    /// <remarks>
    /// An allow-list of what the fused steps implement (this one and <see cref="FusedConvStep"/>): an MLP of fully
    /// connected layers, or the built-in convolutional networks, with ReLU (no dropout, no layer normalization, not the
    /// caller's own networks), any sizes, the likelihoods listed, the plain KL term with any beta. Every option of <see cref="VaeOptions"/> and
    /// <see cref="VaeTrainerOptions"/> is classified by FusedStepEligibilityTests as covered here, making the step
    /// ineligible, or irrelevant to it, so a new option cannot be trained through the step before it is classified.
    /// </remarks>
    internal static FusedStepEligibility Check(VaeOptions architecture, VaeTrainerOptions options, DeviceType device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.UseFusedCpuKernels)
            return FusedStepEligibility.Ineligible($"{nameof(VaeTrainerOptions.UseFusedCpuKernels)} is false");
        if (!Sgemm.IsSupported)
            return FusedStepEligibility.Ineligible("the processor has neither AVX-512 nor AVX2 with FMA");
        if (device != DeviceType.CPU)
            return FusedStepEligibility.Ineligible($"the parameters are on {device}, not the CPU");
        if (dtype != ScalarType.Float32)
            return FusedStepEligibility.Ineligible($"the parameters are {dtype}, not float32");
        var network = CheckNetwork(architecture, convolutional: true);
        if (!network.IsEligible) return network;
        if (options.Objective != VaeObjective.Elbo)
            return FusedStepEligibility.Ineligible($"the objective is {options.Objective}: the step implements the ELBO only");
        if (options.FreeBits != 0)
            return FusedStepEligibility.Ineligible($"{nameof(VaeTrainerOptions.FreeBits)} is {options.FreeBits}: the step implements the plain KL term");
        return FusedStepEligibility.Eligible;
    }

    /// <summary>
    /// Whether the kernels implement the networks <paramref name="architecture"/> describes (what the step and
    /// <see cref="FusedLikelihood"/> share): an unconditional MLP with ReLU, without dropout or layer normalization, with
    /// a likelihood listed here and the standard normal prior.
    /// </summary>
    /// <param name="architecture">The model's options.</param>
    /// <param name="convolutional">
    /// Whether the convolutional architecture is implemented too (by <see cref="FusedConvStep"/> for training and by
    /// <see cref="FusedLikelihood"/>'s convolutional decoder).
    /// </param>
    internal static FusedStepEligibility CheckNetwork(VaeOptions architecture, bool convolutional = false)
    {
        if (architecture.Architecture != VaeArchitecture.Mlp && !(convolutional && architecture.Architecture == VaeArchitecture.Convolutional))
            return FusedStepEligibility.Ineligible($"the architecture is {architecture.Architecture}: the kernels implement {(convolutional ? "an MLP and the built-in convolutional networks" : "an MLP")} only");
        switch (architecture.Likelihood)
        {
            case VaeLikelihood.Bernoulli:
            case VaeLikelihood.Gaussian:
                break;
            default:
                return FusedStepEligibility.Ineligible($"the step does not implement the {architecture.Likelihood} likelihood");
        }
        if (architecture.Activation != VaeActivation.ReLU)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.Activation)} is {architecture.Activation}: the step implements ReLU only");
        if (architecture.InputDropout != 0)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.InputDropout)} is {architecture.InputDropout}: the step implements no dropout");
        if (architecture.HiddenDropout != 0)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.HiddenDropout)} is {architecture.HiddenDropout}: the step implements no dropout");
        if (architecture.LayerNormalization)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.LayerNormalization)} is on: the step implements no layer normalization");
        if (architecture.Prior != VaePrior.Standard)
            return FusedStepEligibility.Ineligible($"the prior is {architecture.Prior}: the step implements the closed-form KL of N(0, I) only");
        if (architecture.ConditionWidth != 0)
            return FusedStepEligibility.Ineligible("the model is conditional: the step implements an unconditional MLP only");
        return FusedStepEligibility.Eligible;
    }

    /// <summary>
    /// A fused step for <paramref name="model"/> when <see cref="Check"/> allows one and the model is built as the step
    /// expects, else null.
    /// </summary>
    public static FusedMlpStep? TryCreate(VariationalAutoencoder model, VaeTrainerOptions options, Tensor flatParameters, Tensor flatGradients)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Options.Architecture != VaeArchitecture.Mlp
            || !Check(model.Options, options, flatParameters.device_type, flatParameters.dtype).IsEligible || !IsReluMlp(model))
            return null;
        var step = new FusedMlpStep(model, flatParameters, flatGradients);
        if (step.CoversEveryParameter) return step;
        step.Dispose();
        return null;
    }

    /// <summary>
    /// Whether the model is made of nothing but the fully connected layers the fused kernels read, ReLUs, and the
    /// containers that hold them: a module its options do not describe, such as a dropout, leaves the kernels out
    /// rather than ignored.
    /// </summary>
    internal static bool IsReluMlp(VariationalAutoencoder model)
    {
        var encoder = model.Encoder;
        var decoder = model.Decoder;
        var layers = encoder.HiddenLayers.Append(encoder.MeanHead).Append(encoder.LogVarianceHead).Concat(decoder.FullyConnectedLayers).ToHashSet(ReferenceEqualityComparer.Instance);
        var relus = 0;
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case Linear linear when linear.bias is not null && layers.Remove(linear):
                    break;
                case ReLU:
                    relus++;
                    break;
                case VariationalAutoencoder or Encoder or Decoder or Sequential:
                    break;
                default:
                    return false;
            }
        }
        return layers.Count == 0 && relus == encoder.HiddenLayers.Count + decoder.FullyConnectedLayers.Count - 1;
    }

    /// <summary>
    /// Computes the summed negative ELBO of <paramref name="batch"/> (<c>[B, InputSize]</c>, float32, on the CPU) and
    /// writes every gradient of <c>reconstruction + beta * KL</c>; the noise is drawn from <paramref name="generator"/>
    /// exactly as <see cref="Reparameterization.Sample"/> draws it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (float Loss, float Reconstruction, float Kl) Run(Tensor batch, double beta, Generator generator, int threads)
    {
        var rows = (int)batch.shape[0];
        EnsureCapacity((rows + 15) / 16 * 16);
        var input = NativeTensor.Floats(batch);
        LoadBatch(input, null, rows, threads);
        return Run(input, rows, beta, generator, threads);
    }

    /// <summary>
    /// As <see cref="Run(Tensor, double, Generator, int)"/> for the batch made of rows <paramref name="rows"/> (int64
    /// indices, each below the row count) of <paramref name="source"/>, gathered here rather than by <c>index_select</c>,
    /// which would allocate a new batch tensor every step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (float Loss, float Reconstruction, float Kl) Run(Tensor source, Tensor rows, double beta, Generator generator, int threads)
    {
        var count = (int)rows.shape[0];
        EnsureCapacity((count + 15) / 16 * 16);
        LoadBatch(NativeTensor.Floats(source), NativeTensor.Longs(rows), count, threads);
        return Run(gathered, count, beta, generator, threads);
    }

    // The batch feature-major into inputT (and, given indices, its rows gathered into `gathered` first): sixteen batch
    // rows at a time, the groups shared out among the threads. Sixteen, not eight, so that a part fills whole 64-byte
    // lines of every feature row and two threads never write the same line.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LoadBatch(float* source, long* indices, int rows, int threads)
    {
        var padded = (rows + 15) / 16 * 16;
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
    private (float Loss, float Reconstruction, float Kl) Run(float* input, int rows, double beta, Generator generator, int threads)
    {
        var padded = (rows + 15) / 16 * 16;
        using var eps = randn([rows, latentSize], dtype: ScalarType.Float32, generator: generator);
        PhaseEnded?.Invoke(0);
        var (reconstruction, kl) = Forward(NativeTensor.Floats(eps), rows, threads);
        var encoded = encoderLayers.Length == 0 ? inputT : encoderT[^1];
        var logits = decoderT[^1];

        // Backward through the decoder: the gradient flows from the logits down to z.
        var gradient = logits;
        for (var i = decoderLayers.Length - 1; i >= 0; i--)
        {
            var layerInput = i == 0 ? zT : decoderT[i - 1];
            var next = gradient == gradientA ? gradientB : gradientA;
            Backward(decoderLayers[i], gradient, layerInput, next, rows, padded, threads, inputGradient: true);
            if (i > 0) ReluMask(next, layerInput, decoderLayers[i].Inputs * padded);
            gradient = next;
        }

        PhaseEnded?.Invoke(5);
        // Through the reparameterization and the KL term into the two heads (dmean into the buffer of z, dlogvar into that of eps).
        ReparameterizationGradients(gradient, (float)beta, rows, padded);
        var dMean = zT;
        var dLogVar = epsT;
        var encoderGradient = gradient == gradientA ? gradientB : gradientA;
        HeadsBackward(dMean, dLogVar, encoded, input, encoderGradient, rows, padded, threads);

        PhaseEnded?.Invoke(6);
        gradient = encoderGradient;
        for (var i = encoderLayers.Length - 1; i >= 0; i--)
        {
            ReluMask(gradient, encoderT[i], encoderLayers[i].Outputs * padded);
            var layerInput = i == 0 ? inputT : encoderT[i - 1];
            var next = gradient == gradientA ? gradientB : gradientA;
            if (i == 0)
                WeightGradient(encoderLayers[i], gradient, input, inputSize, rows, padded, threads);
            else
                Backward(encoderLayers[i], gradient, layerInput, next, rows, padded, threads, inputGradient: true);
            gradient = next;
        }

        PhaseEnded?.Invoke(7);
        // A guarded arena (the tests') reports here which buffer a kernel of this step wrote past.
        arena?.Check();
        var loss = (float)(reconstruction + beta * kl);
        return (loss, (float)reconstruction, (float)kl);
    }

    /// <summary>
    /// The summed negative ELBO terms (beta = 1) of <paramref name="data"/> (a contiguous float32 CPU tensor), a batch
    /// of <paramref name="batchSize"/> rows at a time with each batch's noise drawn from <paramref name="generator"/>
    /// as the model's own forward pass draws it, so the figures are those of <see cref="VaeEvaluation.Evaluate"/>.
    /// Batches larger than the training batch are worked through in slices of it; no gradient is written.
    /// </summary>
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

    // The forward pass of the batch in inputT with the noise eps ([rows, LatentSize], row-major), and the summed
    // reconstruction term and KL, leaving the gradient of the reconstruction term in place of the decoder's output.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double Reconstruction, double Kl) Forward(float* eps, int rows, int threads)
    {
        var padded = (rows + 15) / 16 * 16;
        var activation = inputT;
        for (var i = 0; i < encoderLayers.Length; i++)
        {
            encoderLayers[i].Forward(activation, encoderT[i], padded, threads, relu: true);
            activation = encoderT[i];
        }
        mean.Forward(activation, meanT, padded, threads, relu: false);
        logVar.Forward(activation, logVarT, padded, threads, relu: false);
        PhaseEnded?.Invoke(1);

        FeatureMajor.Transpose(eps, rows, latentSize, latentSize, epsT, padded);
        var latentCount = latentSize * padded;
        var logVarSpan = new Span<float>(logVarT, latentCount);
        var stdSpan = new Span<float>(stdT, latentCount);
        TensorPrimitives.Multiply(logVarSpan, 0.5f, stdSpan);
        TensorPrimitives.Exp(stdSpan, stdSpan);
        TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(epsT, latentCount), stdSpan, new ReadOnlySpan<float>(meanT, latentCount), new Span<float>(zT, latentCount));
        FeatureMajor.ClearPadding(zT, latentSize, rows, padded);
        PhaseEnded?.Invoke(2);

        activation = zT;
        for (var i = 0; i < decoderLayers.Length; i++)
        {
            var last = i == decoderLayers.Length - 1;
            decoderLayers[i].Forward(activation, decoderT[i], padded, threads, relu: !last);
            activation = decoderT[i];
        }
        PhaseEnded?.Invoke(3);

        // Loss, and its gradient with respect to the decoder's output in place of that output.
        var reconstruction = OutputLossAndGradient(decoderT[^1], inputT, rows, padded, threads);
        var kl = KlDivergence(rows, padded);
        PhaseEnded?.Invoke(4);
        return (reconstruction, kl);
    }

    public void Dispose()
    {
        arena?.Dispose();
        arena = null;
        columns = 0;
    }

    // Weight and bias gradients of one layer from the gradient of its output, and the gradient of its input (before the ReLU mask).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Backward(DenseLayer layer, float* gradientT, float* inputT, float* inputGradientT, int rows, int padded, int threads, bool inputGradient)
    {
        // Row stride a multiple of 16 (zero-filled), so the weight gradient's product has no scalar columns: the latent
        // layer's 20 inputs would otherwise be 16 vector and 4 scalar columns.
        var stride = (layer.Inputs + 15) / 16 * 16;
        if (threads == 2 && inputGradient)
        {
            // Two threads: the weight gradient on one and the input gradient on the other, each product whole, rather
            // than both products split in two, each half reading all of B.
            var (gradient, input, inputGradientOut) = ((nint)gradientT, (nint)inputT, (nint)inputGradientT);
            KernelThreads.Run(2, part =>
            {
                if (part == 0)
                {
                    FeatureMajor.Transpose((float*)input, layer.Inputs, rows, padded, rowMajor, stride);
                    WeightGradient(layer, (float*)gradient, rowMajor, stride, rows, padded, threads: 1);
                }
                else
                {
                    Sgemm.Multiply(layer.Inputs, padded, layer.Outputs, layer.Weight, 1, layer.Inputs, (float*)gradient, padded, (float*)inputGradientOut, padded, accumulate: false, threads: 1);
                }
            });
            return;
        }
        FeatureMajor.Transpose(inputT, layer.Inputs, rows, padded, rowMajor, stride);
        WeightGradient(layer, gradientT, rowMajor, stride, rows, padded, threads);
        if (inputGradient)
            Sgemm.Multiply(layer.Inputs, padded, layer.Outputs, layer.Weight, 1, layer.Inputs, gradientT, padded, inputGradientT, padded, accumulate: false, threads);
    }

    // dW = dY^T X over the real batch columns, db = row sums of dY^T; X is [rows, inputStride] with inputStride >= Inputs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WeightGradient(DenseLayer layer, float* gradientT, float* inputRows, int inputStride, int rows, int padded, int threads)
    {
        if (inputStride == layer.Inputs)
        {
            Sgemm.Multiply(layer.Outputs, layer.Inputs, rows, gradientT, padded, 1, inputRows, inputStride, layer.WeightGradient, layer.Inputs, accumulate: false, threads);
        }
        else
        {
            Sgemm.Multiply(layer.Outputs, inputStride, rows, gradientT, padded, 1, inputRows, inputStride, weightScratch, inputStride, accumulate: false, threads);
            var rowBytes = (long)layer.Inputs * sizeof(float);
            for (var o = 0; o < layer.Outputs; o++)
                Buffer.MemoryCopy(weightScratch + (nint)o * inputStride, layer.WeightGradient + (nint)o * layer.Inputs, rowBytes, rowBytes);
        }
        for (var o = 0; o < layer.Outputs; o++)
            layer.BiasGradient[o] = TensorPrimitives.Sum(new ReadOnlySpan<float>(gradientT + (nint)o * padded, rows));
    }

    // Weight gradients of the two heads, and the gradient of the encoder's last activation (the sum of both heads'
    // input gradients). On two threads the weight gradients go to one and the input gradients to the other.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HeadsBackward(float* dMean, float* dLogVar, float* encodedT, float* input, float* encodedGradientT, int rows, int padded, int threads)
    {
        void WeightGradients(int inner)
        {
            var encodedRows = EncodedRows(encodedT, input, rows, padded);
            WeightGradient(mean, dMean, encodedRows, mean.Inputs, rows, padded, inner);
            WeightGradient(logVar, dLogVar, encodedRows, logVar.Inputs, rows, padded, inner);
        }

        void InputGradients(int inner)
        {
            if (encoderLayers.Length == 0) return;
            Sgemm.Multiply(mean.Inputs, padded, mean.Outputs, mean.Weight, 1, mean.Inputs, dMean, padded, encodedGradientT, padded, accumulate: false, inner);
            Sgemm.Multiply(logVar.Inputs, padded, logVar.Outputs, logVar.Weight, 1, logVar.Inputs, dLogVar, padded, encodedGradientT, padded, accumulate: true, inner);
        }

        if (threads == 2)
        {
            KernelThreads.Run(2, part =>
            {
                if (part == 0) WeightGradients(1);
                else InputGradients(1);
            });
            return;
        }
        WeightGradients(threads);
        InputGradients(threads);
    }

    // The encoder's last activation as [rows, width]; the batch itself when there are no hidden layers.
    private float* EncodedRows(float* encodedT, float* inputRows, int rows, int padded)
    {
        if (encoderLayers.Length == 0) return inputRows;
        var width = encoderLayers[^1].Outputs;
        FeatureMajor.Transpose(encodedT, width, rows, padded, rowMajor, width);
        return rowMajor;
    }

    // The reconstruction term summed over the batch, with its gradient written over the decoder's output: for Bernoulli,
    // softplus(l) - x l (binary cross-entropy on logits) and sigmoid(l) - x; for Gaussian, the negative log density and
    // (mean - x) / variance (and the learned log-variances' gradients). In blocks of feature rows small enough for the
    // passes of exp and log to stay in the L1 cache, the blocks shared out among the threads; each block's sum is kept
    // and the sums added in block order, whatever the thread count.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double OutputLossAndGradient(float* outputT, float* targetT, int rows, int padded, int threads)
    {
        var blockRows = LossBlockRows(padded);
        var blocks = (inputSize + blockRows - 1) / blockRows;
        var workers = Math.Min(threads, MaxLossParts);
        var parts = KernelThreads.PartsFor(blocks, workers);
        var (output, targets) = ((nint)outputT, (nint)targetT);
        KernelThreads.Run(parts, workers, (part, worker) =>
        {
            var scratch = lossScratch + (nint)worker * 2 * blockRows * padded;
            for (var block = blocks * part / parts; block < blocks * (part + 1) / parts; block++)
            {
                var firstRow = block * blockRows;
                var rowCount = Math.Min(blockRows, inputSize - firstRow);
                lossBlockSums[block] = likelihood switch
                {
                    VaeLikelihood.Bernoulli => BernoulliBlock((float*)output, (float*)targets, firstRow, rowCount, rows, padded, scratch),
                    VaeLikelihood.Gaussian => GaussianBlock((float*)output, (float*)targets, firstRow, rowCount, rows, padded, outputLogVariance, fixedLogVariance, outputLogVarianceGradient),
                    _ => throw new UnreachableException($"Check admits no {likelihood} likelihood."),
                };
            }
        });
        var total = 0.0;
        for (var block = 0; block < blocks; block++) total += lossBlockSums[block];
        return total;
    }

    // 0.5 ((x - mean)^2 / v + log v + log 2 pi) per element, v fixed or learned per feature, as ElboLoss computes it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // Also the convolutional step's: its output layer is laid out the same way, feature-major with the batch padded.
    internal static double GaussianBlock(float* meanT, float* targetT, int firstRow, int rowCount, int rows, int padded,
        float* outputLogVariance, float fixedLogVariance, float* outputLogVarianceGradient)
    {
        var wholeVectors = rows / 8 * 8;
        var tail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(rows - wholeVectors)).AsSingle();
        var total = 0.0;
        for (var f = firstRow; f < firstRow + rowCount; f++)
        {
            var logVariance = outputLogVariance is null ? fixedLogVariance : outputLogVariance[f];
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
            if (outputLogVarianceGradient is not null) outputLogVarianceGradient[f] = (float)(0.5 * (rows - squareSum));
        }
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double BernoulliBlock(float* logitsT, float* targetT, int firstRow, int rowCount, int rows, int padded, float* scratch)
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double KlDivergence(int rows, int padded)
    {
        // KL(q || N(0, I)) = -0.5 sum(1 + logvar - mean^2 - exp(logvar)), with exp(logvar) = std^2.
        var total = 0.0;
        for (var l = 0; l < latentSize; l++)
        {
            var offset = (nint)l * padded;
            var meanRow = new ReadOnlySpan<float>(meanT + offset, rows);
            var stdRow = new ReadOnlySpan<float>(stdT + offset, rows);
            var logVarRow = new ReadOnlySpan<float>(logVarT + offset, rows);
            total += rows + (double)TensorPrimitives.Sum(logVarRow) - TensorPrimitives.SumOfSquares(meanRow) - TensorPrimitives.SumOfSquares(stdRow);
        }
        return -0.5 * total;
    }

    // dz arrives in gradientT; dmean = dz + beta mean goes to zT's buffer, dlogvar = dz eps std / 2 + beta (std^2 - 1) / 2 to epsT's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReparameterizationGradients(float* gradientT, float beta, int rows, int padded)
    {
        var count = latentSize * padded;
        var dz = new ReadOnlySpan<float>(gradientT, count);
        var dMean = new Span<float>(zT, count);
        var dLogVar = new Span<float>(epsT, count);
        var std = new ReadOnlySpan<float>(stdT, count);
        TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(meanT, count), beta, dz, dMean);
        var scratch = new Span<float>(elementwise, count);
        TensorPrimitives.Multiply(dz, dLogVar, dLogVar);              // dz eps
        TensorPrimitives.Multiply(dLogVar, std, dLogVar);             // dz eps std
        TensorPrimitives.Multiply(std, std, scratch);                 // std^2
        TensorPrimitives.Subtract(scratch, 1f, scratch);
        TensorPrimitives.Multiply(scratch, beta, scratch);
        TensorPrimitives.Add(dLogVar, scratch, dLogVar);
        TensorPrimitives.Multiply(dLogVar, 0.5f, dLogVar);
        FeatureMajor.ClearPadding(zT, latentSize, rows, padded);
        FeatureMajor.ClearPadding(epsT, latentSize, rows, padded);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluMask(float* gradientT, float* activationT, int count)
    {
        for (var i = 0; i < count; i += 8)
        {
            var keep = Vector256.GreaterThan(Vector256.Load(activationT + i), Vector256<float>.Zero);
            Vector256.BitwiseAnd(Vector256.Load(gradientT + i), keep).Store(gradientT + i);
        }
    }

    // The loss shares its blocks among at most this many threads.
    internal const int MaxLossParts = 8;

    // Feature rows per block of the loss: about 1,024 elements, a few KiB per pass.
    internal static int LossBlockRows(int padded) => Math.Max(1, 1024 / padded);

    // Room for the widened weight gradient of every layer whose input count is not a multiple of 16.
    private long WeightScratchSize => decoderLayers.Concat(encoderLayers).Max(l => (long)l.Outputs * FeatureMajor.RoundUp16(l.Inputs));

    // The latent-sized terms of the reparameterization gradient.
    private long ScratchRows => latentSize;

    private void EnsureCapacity(int padded)
    {
        if (padded <= columns) return;
        Dispose();
        var latent = (long)latentSize * padded;
        var hiddenWidths = encoderLayers.Select(l => (long)l.Outputs).ToArray();
        var decoderWidths = decoderLayers.Select(l => (long)l.Outputs).ToArray();
        long total = 2L * inputSize * padded                       // gathered rows, input^T
            + hiddenWidths.Sum() * padded + decoderWidths.Sum() * padded
            + 5 * latent                                           // mean, logvar, std, eps, z
            + 2L * widest * padded                                 // two gradient buffers
            + (long)padded * FeatureMajor.RoundUp16(widest)                     // row-major copies
            + WeightScratchSize
            + (long)MaxLossParts * 2 * LossBlockRows(padded) * padded
            + ScratchRows * padded;                                // elementwise scratch
        var buffers = new NativeArena(total);
        arena = buffers;
        gathered = buffers.Take((long)inputSize * padded);
        inputT = buffers.Take((long)inputSize * padded);
        encoderT = new float*[hiddenWidths.Length];
        for (var i = 0; i < hiddenWidths.Length; i++) encoderT[i] = buffers.Take(hiddenWidths[i] * padded);
        meanT = buffers.Take(latent);
        logVarT = buffers.Take(latent);
        stdT = buffers.Take(latent);
        epsT = buffers.Take(latent);
        zT = buffers.Take(latent);
        decoderT = new float*[decoderWidths.Length];
        for (var i = 0; i < decoderWidths.Length; i++) decoderT[i] = buffers.Take(decoderWidths[i] * padded);
        gradientA = buffers.Take((long)widest * padded);
        gradientB = buffers.Take((long)widest * padded);
        rowMajor = buffers.Take((long)padded * FeatureMajor.RoundUp16(widest));
        weightScratch = buffers.Take(WeightScratchSize);
        lossScratch = buffers.Take((long)MaxLossParts * 2 * LossBlockRows(padded) * padded);
        lossBlockSums = new double[(inputSize + LossBlockRows(padded) - 1) / LossBlockRows(padded)];
        elementwise = buffers.Take(ScratchRows * padded);
        columns = padded;
    }
}
