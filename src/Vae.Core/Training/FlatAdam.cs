using System.Runtime.CompilerServices;
using System.Numerics;
using TorchSharp;
using TorchSharp.Modules;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Adam (Kingma and Ba, 2015) over parameters that live side by side in one contiguous buffer, as do their gradients.
/// </summary>
/// <remarks>
/// The parameters are re-pointed to views of one flat tensor and their gradients to views of another, which autograd
/// accumulates into in place. The update then takes a handful of operations over one long vector instead of nine
/// per parameter tensor, zeroing the gradients is one operation, and so are the finiteness check and the gradient
/// norm. The update is that of <c>torch.optim.AdamW</c> (no AMSGrad; <c>torch.optim.Adam</c> when the weight decay is 0)
/// with its bias corrections folded into the step size and epsilon, which saves two passes over the buffers; results
/// agree to float rounding. The weight decay is decoupled: every weight shrinks by the factor 1 - lr * decay before
/// the Adam update, and a decay of 0 multiplies by exactly 1, leaving Adam's results bit for bit as they were.
/// Constant scalars are created once: TorchSharp frees a scalar's native memory only in its finalizer.
/// </remarks>
internal sealed unsafe class FlatAdam : IDisposable
{
    // Elements per worker below which a second thread costs more than it saves.
    private const int MinimumPerThread = 1 << 16;

    private readonly Tensor parameters;
    private readonly Tensor gradients;
    private readonly Tensor expAvg;
    private readonly Tensor expAvgSq;
    private readonly Tensor denominator;
    private readonly Scalar beta1;
    private readonly Scalar oneMinusBeta1;
    private readonly Scalar beta2;
    private readonly Scalar oneMinusBeta2;
    private readonly Scalar eps;
    private readonly double beta1Value;
    private readonly double beta2Value;
    private readonly double epsValue;
    private readonly Tensor oneMinusBeta1Tensor;
    // Holds the constant scalars above as long as the optimizer lives (see ScalarScope).
    private readonly ScalarScope constants = new();
    private readonly bool onCpu;
    // Parameter groups with Adam states of their own (see IPhasedTrainingStep); null: one group of everything.
    private (long Offset, long Count)[]? groups;
    private long[]? groupSteps;
    private IReadOnlyList<int>? activeGroups;

    public FlatAdam(IReadOnlyList<Parameter> moduleParameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        using var noGrad = no_grad();
        var first = moduleParameters[0];
        var total = moduleParameters.Sum(p => p.numel());
        parameters = empty(total, dtype: first.dtype, device: first.device).DetachFromDisposeScope();
        gradients = zeros(total, dtype: first.dtype, device: first.device).DetachFromDisposeScope();
        long offset = 0;
        foreach (var parameter in moduleParameters)
        {
            // The narrowed vector too belongs to the scope: a temporary that nothing references can be finalized in
            // the middle of the libtorch call that reads it (see ScalarScope).
            using var scope = NewDisposeScope();
            var count = parameter.numel();
            var values = parameters.narrow(0, offset, count).view(parameter.shape);
            values.copy_(parameter);
            parameter.set_(values);
            offset += count;
        }
        AttachGradients(moduleParameters);
        expAvg = zeros_like(parameters).DetachFromDisposeScope();
        expAvgSq = zeros_like(parameters).DetachFromDisposeScope();
        denominator = empty_like(parameters).DetachFromDisposeScope();
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        beta1Value = beta1;
        beta2Value = beta2;
        this.beta1 = constants[beta1];
        oneMinusBeta1 = constants[1 - beta1];
        this.beta2 = constants[beta2];
        oneMinusBeta2 = constants[1 - beta2];
        this.eps = constants[eps];
        epsValue = eps;
        oneMinusBeta1Tensor = tensor(1 - beta1, dtype: first.dtype, device: first.device).DetachFromDisposeScope();
        onCpu = parameters.device_type == DeviceType.CPU && parameters.dtype == ScalarType.Float32;
    }

    /// <summary>All parameters as one vector (each parameter is a view of it).</summary>
    public Tensor Parameters => parameters;

    /// <summary>The step size of the next updates; a learning-rate schedule changes it between epochs.</summary>
    public double LearningRate { get; set; }

    /// <summary>The decoupled weight decay (AdamW's): each update first multiplies the weights by 1 - <see cref="LearningRate"/> * this.</summary>
    public double WeightDecay { get; }

    /// <summary>Threads for the CPU update; 1 by default.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>Number of updates made so far (Adam's t).</summary>
    public long Steps { get; private set; }

    /// <summary>All gradients as one vector (a view shared with every parameter's <c>grad</c>).</summary>
    public Tensor Gradients => gradients;

    public void ZeroGrad() => gradients.zero_();

    /// <summary>
    /// Splits the parameters into groups of <paramref name="parameterCounts"/> consecutive parameter tensors, each with
    /// its own step count (its moments are its slices of the shared ones); <see cref="ActiveGroups"/> chooses which
    /// groups <see cref="Step"/> updates.
    /// </summary>
    public void SetGroups(IReadOnlyList<Parameter> moduleParameters, IReadOnlyList<int> parameterCounts)
    {
        if (parameterCounts.Any(c => c <= 0) || parameterCounts.Sum() != moduleParameters.Count)
            throw new ArgumentException($"The parameter groups [{string.Join(", ", parameterCounts)}] must be positive and cover the {moduleParameters.Count} parameters.", nameof(parameterCounts));
        var ranges = new (long, long)[parameterCounts.Count];
        var (index, offset) = (0, 0L);
        for (var g = 0; g < ranges.Length; g++)
        {
            var count = 0L;
            for (var i = 0; i < parameterCounts[g]; i++) count += moduleParameters[index++].numel();
            ranges[g] = (offset, count);
            offset += count;
        }
        groups = ranges;
        groupSteps = new long[ranges.Length];
        activeGroups = Enumerable.Range(0, ranges.Length).ToArray();
    }

    /// <summary>The groups the next updates change (all by default); only with <see cref="SetGroups"/>.</summary>
    public IReadOnlyList<int>? ActiveGroups
    {
        get => activeGroups;
        set
        {
            if (groups is null || value is null) return;
            if (value.Any(g => g < 0 || g >= groups.Length))
                throw new ArgumentOutOfRangeException(nameof(value), $"The groups [{string.Join(", ", value)}] are not all among the {groups.Length} groups.");
            activeGroups = value.ToArray();
        }
    }

    /// <summary>The sum of all gradients: finite exactly when every gradient is (barring overflow of the sum itself).</summary>
    public float SumOfGradients()
    {
        if (!onCpu)
        {
            using var sum = gradients.sum();
            return sum.item<float>();
        }
        return System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(NativeTensor.Floats(gradients), (int)gradients.numel()));
    }

    /// <summary>
    /// Points every parameter at its slice of <see cref="Parameters"/> again, keeping its current values, where
    /// something re-pointed it: another trainer (or <c>FlatAdam</c>) built on the same model takes the parameters into
    /// its own buffer, and this one would otherwise update a buffer the model no longer reads.
    /// </summary>
    public void AttachParameters(IReadOnlyList<Parameter> moduleParameters)
    {
        using var noGrad = no_grad();
        long offset = 0;
        foreach (var parameter in moduleParameters)
        {
            using var scope = NewDisposeScope();
            var count = parameter.numel();
            var slice = parameters.narrow(0, offset, count).view(parameter.shape);
            if (NativeTensor.Address(parameter) != NativeTensor.Address(slice))
            {
                slice.copy_(parameter);
                parameter.set_(slice);
            }
            offset += count;
        }
    }

    /// <summary>Points every parameter's gradient at its slice of <see cref="Gradients"/> again (after a caller's <c>zero_grad</c> dropped them).</summary>
    public void AttachGradients(IReadOnlyList<Parameter> moduleParameters)
    {
        long offset = 0;
        foreach (var parameter in moduleParameters)
        {
            // The parameter keeps its own reference to the gradient's view: the wrappers go with the scope.
            using var scope = NewDisposeScope();
            var count = parameter.numel();
            parameter.grad = gradients.narrow(0, offset, count).view(parameter.shape);
            offset += count;
        }
    }

    /// <summary>Scales the gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before.</summary>
    public Tensor ClipGradientNorm(double maxNorm)
    {
        using var noGrad = no_grad();
        var norm = gradients.norm();
        // PyTorch's clip_grad_norm_: coefficient max / (norm + 1e-6), clamped at 1
        using var scalars = new ScalarScope();
        using var coefficient = norm.add(scalars[1e-6], Scalars.One).reciprocal_().mul_(scalars[maxNorm]).clamp_max_(Scalars.One);
        gradients.mul_(coefficient);
        return norm;
    }

    public void Step()
    {
        if (groups is null)
        {
            Steps++;
            StepRange(0, parameters.numel(), Steps);
            return;
        }
        Steps++;
        foreach (var g in activeGroups!)
            StepRange(groups[g].Offset, groups[g].Count, ++groupSteps![g]);
    }

    // Adam's update of the elements [offset, offset + count), whose step count is now `steps`.
    private void StepRange(long offset, long count, long steps)
    {
        using var noGrad = no_grad();
        var whole = offset == 0 && count == parameters.numel();
        var biasCorrection1 = 1 - Math.Pow(beta1Value, steps);
        var sqrtBiasCorrection2 = Math.Sqrt(1 - Math.Pow(beta2Value, steps));
        // lr * m / (sqrt(v) / sqrt(bc2) + eps) / bc1 = (lr * sqrt(bc2) / bc1) * m / (sqrt(v) + eps * sqrt(bc2)):
        // the same update with two passes over the buffers fewer.
        // AdamW's order: the decay uses the weights before this step's Adam update.
        var decay = 1 - LearningRate * WeightDecay;
        if (onCpu)
        {
            StepOnCpu((float)(-LearningRate * sqrtBiasCorrection2 / biasCorrection1), (float)(epsValue * sqrtBiasCorrection2), (float)decay, offset, count);
            return;
        }
        using var scalars = new ScalarScope();
        using var scope = NewDisposeScope();
        var scaledEps = scalars[epsValue * sqrtBiasCorrection2];
        var negativeStepSize = scalars[-LearningRate * sqrtBiasCorrection2 / biasCorrection1];
        var (p, g, m, v, d) = whole ? (parameters, gradients, expAvg, expAvgSq, denominator)
            : (parameters.narrow(0, offset, count), gradients.narrow(0, offset, count), expAvg.narrow(0, offset, count),
               expAvgSq.narrow(0, offset, count), denominator.narrow(0, offset, count));
        if (WeightDecay != 0)
            p.mul_(scalars[decay]);

        m.lerp_(g, oneMinusBeta1Tensor);
        v.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
        d.copy_(v).sqrt_().add_(scaledEps, Scalars.One);
        p.addcdiv_(m, d, value: negativeStepSize);
    }

    // The same update in one pass over the four buffers instead of six passes of libtorch operations.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StepOnCpu(float negativeStepSize, float scaledEps, float decay, long offset, long length)
    {
        var count = (int)length;
        var (p, g, m, v) = ((nint)(NativeTensor.Floats(parameters) + offset), (nint)(NativeTensor.Floats(gradients) + offset),
            (nint)(NativeTensor.Floats(expAvg) + offset), (nint)(NativeTensor.Floats(expAvgSq) + offset));
        var (b1, b2) = ((float)(1 - beta1Value), (float)beta2Value);
        var workers = Math.Clamp(count / MinimumPerThread, 1, Threads);
        if (workers == 1)
        {
            Update((float*)p, (float*)g, (float*)m, (float*)v, count, b1, b2, negativeStepSize, scaledEps, decay);
            return;
        }
        // Rounded up before and after the multiple of 64: count / workers rounded down could leave the last few
        // elements to no worker (129 over two workers: two chunks of 64).
        var chunk = ((count + workers - 1) / workers + 63) / 64 * 64;
        KernelThreads.Run(workers, worker =>
        {
            var start = worker * chunk;
            var length = Math.Min(chunk, count - start);
            if (length > 0)
                Update((float*)p + start, (float*)g + start, (float*)m + start, (float*)v + start, length, b1, b2, negativeStepSize, scaledEps, decay);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // The weight times decay, then plus the update, each rounded as libtorch's mul_ and addcdiv_ round them; a decay of 1 is exact.
    private static void Update(float* p, float* g, float* m, float* v, int count, float oneMinusBeta1, float beta2, float negativeStepSize, float scaledEps, float decay)
    {
        var oneMinusBeta2 = 1 - beta2;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var width = Vector<float>.Count;
            for (; i <= count - width; i += width)
            {
                var gradient = Vector.Load(g + i);
                var first = Vector.Load(m + i);
                var second = Vector.Load(v + i);
                first += (gradient - first) * oneMinusBeta1;
                second = second * beta2 + gradient * gradient * oneMinusBeta2;
                first.Store(m + i);
                second.Store(v + i);
                (Vector.Load(p + i) * decay + first / (Vector.SquareRoot(second) + new Vector<float>(scaledEps)) * negativeStepSize).Store(p + i);
            }
        }
        for (; i < count; i++)
        {
            m[i] += (g[i] - m[i]) * oneMinusBeta1;
            v[i] = v[i] * beta2 + g[i] * g[i] * oneMinusBeta2;
            p[i] = p[i] * decay + m[i] / (MathF.Sqrt(v[i]) + scaledEps) * negativeStepSize;
        }
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(Steps);
        WriteTensor(writer, expAvg);
        WriteTensor(writer, expAvgSq);
        // Only with groups: every group's step count (a model without groups writes what it always did).
        if (groupSteps is null) return;
        writer.Write(groupSteps.Length);
        foreach (var steps in groupSteps) writer.Write(steps);
    }

    public void Load(BinaryReader reader)
    {
        var steps = reader.ReadInt64();
        var first = reader.ReadBytes(reader.ReadInt32());
        var second = reader.ReadBytes(reader.ReadInt32());
        var expected = expAvg.numel() * expAvg.element_size();
        if (steps < 0 || first.Length != expected || second.Length != expected)
            throw new InvalidDataException($"the optimizer state is for {first.Length / expAvg.element_size()} parameters, this model has {expAvg.numel()}");
        Steps = steps;
        LoadTensor(expAvg, first);
        LoadTensor(expAvgSq, second);
        if (groupSteps is null) return;
        var count = reader.ReadInt32();
        if (count != groupSteps.Length)
            throw new InvalidDataException($"the optimizer state has {count} parameter groups, this model has {groupSteps.Length}");
        var loaded = new long[count];
        for (var g = 0; g < count; g++)
        {
            loaded[g] = reader.ReadInt64();
            if (loaded[g] < 0 || loaded[g] > steps)
                throw new InvalidDataException($"the optimizer state's group {g} has {loaded[g]} steps of {steps}");
        }
        loaded.CopyTo(groupSteps, 0);
    }

    public void Dispose()
    {
        foreach (var tensor in new[] { expAvg, expAvgSq, denominator, gradients, parameters, oneMinusBeta1Tensor }) tensor.Dispose();
        constants.Dispose();
    }

    private static void WriteTensor(BinaryWriter writer, Tensor tensor)
    {
        using var cpu = tensor.cpu();
        var bytes = NativeTensor.Bytes(cpu);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static void LoadTensor(Tensor tensor, byte[] bytes)
    {
        using var cpu = empty(tensor.shape, dtype: tensor.dtype);
        cpu.bytes = bytes;
        tensor.copy_(cpu);
    }
}
