using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// A distribution p(x|z) over the data given the decoder's output: its log-density, its mean, the parameter it may add
/// (a learned variance), the data it can model and what it can export. The built-in ones come from
/// <see cref="VaeOptions.Likelihood"/>; a type of your own goes to
/// <see cref="VariationalAutoencoder(VaeOptions, DataLikelihood, LatentPrior?)"/> and, to be saved and loaded, is
/// registered with <see cref="VaeDistributions.RegisterLikelihood"/>.
/// </summary>
/// <remarks>
/// The model trains a likelihood of your own through autograd (the fused CPU step implements the built-in ones only).
/// Its extra parameter, when it has one, is the model's <see cref="VariationalAutoencoder.LogVariance"/>, shape
/// <c>[InputSize]</c>, whatever it means to the likelihood (a log-variance, a log-scale).
/// </remarks>
public abstract class DataLikelihood
{
    /// <summary>The name the model file records for this likelihood, and under which it is registered.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// -log p(x|z) of each element, the shape of <paramref name="target"/>, differentiable in
    /// <paramref name="output"/> and <paramref name="parameter"/>.
    /// </summary>
    /// <param name="output">The decoder's output, <c>[..., InputSize]</c>.</param>
    /// <param name="parameter">The likelihood's parameter (see <see cref="HasParameter"/>), broadcastable to the output; null when it has none.</param>
    /// <param name="target">The data, the shape of <paramref name="output"/>.</param>
    public abstract Tensor NegativeLogDensity(Tensor output, Tensor? parameter, Tensor target);

    /// <summary>log p(x|z) of each row: the negative of <see cref="NegativeLogDensity"/> summed over every dimension after the first.</summary>
    /// <param name="output">The decoder's output, <c>[N, InputSize]</c>.</param>
    /// <param name="parameter">The likelihood's parameter; null when it has none.</param>
    /// <param name="target">The data, the shape of <paramref name="output"/>.</param>
    /// <returns>Shape <c>[N]</c>.</returns>
    public Tensor LogDensity(Tensor output, Tensor? parameter, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        return ElboLoss.Reduce(NegativeLogDensity(output, parameter, target), nn.Reduction.None).neg().MoveToOuterDisposeScope();
    }

    /// <summary>The mean of p(x|z) for a decoder output, what the model shows as a reconstruction or sample; may be <paramref name="output"/> itself.</summary>
    /// <param name="output">The decoder's output, <c>[N, InputSize]</c>.</param>
    public abstract Tensor Mean(Tensor output);

    /// <summary>True when the likelihood takes a parameter besides the decoder's output (a Gaussian's log-variance).</summary>
    public virtual bool HasParameter => false;

    /// <summary>True when the model learns the parameter (<see cref="CreateLearnedParameter"/> gives its initial value).</summary>
    public virtual bool LearnsParameter => false;

    /// <summary>
    /// The initial value of a learned parameter, <c>[inputSize]</c>, which the model turns into its
    /// <see cref="VariationalAutoencoder.LogVariance"/>; null (the default) when nothing is learned.
    /// </summary>
    /// <param name="inputSize">The number of features.</param>
    public virtual Tensor? CreateLearnedParameter(int inputSize) => null;

    /// <summary>The fixed parameter when there is one and it is not learned (a fixed log-variance, a scalar); null by default.</summary>
    /// <param name="dtype">The dtype of the decoder's output.</param>
    /// <param name="device">The device of the decoder's output.</param>
    public virtual Tensor? FixedParameter(ScalarType dtype, Device device) => null;

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> when <paramref name="data"/> holds values this likelihood cannot model.</summary>
    /// <param name="data">Data rows (the features, without a condition).</param>
    /// <param name="name">The argument name to report.</param>
    public abstract void CheckData(Tensor data, string name);

    /// <summary>Why a model with this likelihood cannot be exported to ONNX, or null when it can; a type of your own cannot by default.</summary>
    public virtual string? OnnxRefusal => $"has the {Name} likelihood, which the ONNX export does not implement";

    /// <summary>Why a model with this likelihood has no PyTorch state-dict layout, or null when it has; a type of your own has none by default.</summary>
    public virtual string? PyTorchRefusal => $"has the {Name} likelihood, which the PyTorch layouts do not describe";

    /// <summary>The option this likelihood implements when it is a built-in one; null for a type of your own.</summary>
    internal virtual VaeLikelihood? BuiltIn => null;

    /// <summary>The fused CPU kernels' form of this likelihood, or null when the fused steps do not implement it (it then trains through autograd).</summary>
    internal virtual Kernels.FusedOutput? Fused => null;

    /// <summary>The ONNX operator that turns the decoder's output into <see cref="Mean"/> (null for the identity); only read when <see cref="OnnxRefusal"/> is null.</summary>
    internal virtual string? OnnxMeanOperator => null;

    /// <summary>
    /// Adds to an anomaly scorer's ONNX graph the nodes of -log p(x|z) summed over the features, from the decoder's output
    /// <paramref name="decoded"/> and the input <paramref name="input"/>, and returns the name of the result <c>[batch]</c>;
    /// only called when <see cref="OnnxRefusal"/> is null.
    /// </summary>
    internal virtual string OnnxNegativeLogDensity(OnnxGraph graph, string decoded, string input, string axes, string half, VariationalAutoencoder model) =>
        throw new NotSupportedException($"The {Name} likelihood has no ONNX nodes.");

    /// <summary>How <see cref="VaeOptions.ToString"/> names this likelihood; null for the default, Bernoulli.</summary>
    internal virtual string? Description => Name;

    /// <inheritdoc />
    public override string ToString() => Name;
}
