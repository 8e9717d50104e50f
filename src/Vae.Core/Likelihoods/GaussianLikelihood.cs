using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Independent Gaussian features: the decoder's output holds the means, the data is finite, and the variance is fixed
/// (<see cref="VaeOptions.GaussianVariance"/>) or learned per feature (<see cref="VaeOptions.LearnGaussianVariance"/>),
/// its log passed as the parameter (<see cref="VaeLikelihood.Gaussian"/>).
/// </summary>
public sealed class GaussianLikelihood : DataLikelihood
{
    internal GaussianLikelihood(double variance, bool learned)
    {
        Variance = variance;
        Learned = learned;
    }

    /// <summary>The fixed variance, or the initial one when it is learned.</summary>
    public double Variance { get; }

    /// <summary>Whether the variance of each feature is learned.</summary>
    public bool Learned { get; }

    /// <inheritdoc />
    public override string Name => nameof(VaeLikelihood.Gaussian);

    /// <inheritdoc />
    public override bool HasParameter => true;

    /// <inheritdoc />
    public override bool LearnsParameter => Learned;

    /// <inheritdoc />
    public override Tensor NegativeLogDensity(Tensor output, Tensor? parameter, Tensor target) =>
        ElboLoss.GaussianNllElementwise(output, target, parameter ?? throw new ArgumentNullException(nameof(parameter), "A Gaussian likelihood needs its log-variance."));

    /// <inheritdoc />
    public override Tensor Mean(Tensor output) => output;

    /// <inheritdoc />
    public override Tensor? CreateLearnedParameter(int inputSize)
    {
        if (!Learned) return null;
        using var s = new ScalarScope();
        return full(inputSize, s[Math.Log(Variance)]);
    }

    /// <inheritdoc />
    public override Tensor? FixedParameter(ScalarType dtype, Device device) =>
        Learned ? null : tensor(Math.Log(Variance), dtype: dtype, device: device);

    /// <inheritdoc />
    public override void CheckData(Tensor data, string name) => Guard.Finite(data, name);

    /// <inheritdoc />
    public override string? OnnxRefusal => null;

    /// <inheritdoc />
    public override string? PyTorchRefusal => Learned ? "has a learned Gaussian variance" : null;

    internal override Kernels.FusedOutput? Fused => Kernels.GaussianOutput.Instance;

    internal override VaeLikelihood? BuiltIn => VaeLikelihood.Gaussian;

    internal override string OnnxNegativeLogDensity(OnnxGraph graph, string decoded, string input, string axes, string half, VariationalAutoencoder model)
    {
        // 0.5 sum((x - mean)^2 exp(-log σ²)) + 0.5 sum(log σ² + log 2π); the variance does not depend on z.
        var inputSize = model.Options.InputSize;
        double[] featureLogVariance;
        using (var lv = model.OutputLogVariance(ScalarType.Float64, CPU)!.detach().cpu().to_type(ScalarType.Float64))
        {
            var values = lv.data<double>().ToArray();
            featureLogVariance = values.Length == 1 ? Enumerable.Repeat(values[0], inputSize).ToArray() : values;
        }
        var precision = graph.Initializer("gaussian.precision", featureLogVariance.Select(v => (float)Math.Exp(-v)).ToArray(), inputSize);
        var constant = graph.Initializer("gaussian.constant", [(float)(0.5 * featureLogVariance.Sum(v => v + 2 * GaussianDensity.HalfLogTwoPi))]);
        var residual = graph.Node("Sub", [input, decoded], "gaussian.residual");
        var squared = graph.Node("Mul", [residual, residual], "gaussian.squared");
        var weighted = graph.Node("Mul", [squared, precision], "gaussian.weighted");
        var sum = graph.Node("ReduceSum", [weighted, axes], "gaussian.sum", ("keepdims", 0L));
        var scaled = graph.Node("Mul", [sum, half], "gaussian.scaled");
        return graph.Node("Add", [scaled, constant], "reconstruction");
    }

    internal override string? Description => Learned ? "Gaussian, learned variance" : $"Gaussian, variance {Variance.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}";
}
