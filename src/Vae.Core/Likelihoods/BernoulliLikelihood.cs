using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>Independent Bernoulli features: the decoder's output holds logits, the data lies in [0, 1] (<see cref="VaeLikelihood.Bernoulli"/>).</summary>
public sealed class BernoulliLikelihood : DataLikelihood
{
    internal static readonly BernoulliLikelihood Instance = new();

    private BernoulliLikelihood() { }

    /// <inheritdoc />
    public override string Name => nameof(VaeLikelihood.Bernoulli);

    /// <inheritdoc />
    public override Tensor NegativeLogDensity(Tensor output, Tensor? parameter, Tensor target) =>
        functional.binary_cross_entropy_with_logits(output, target, reduction: Reduction.None);

    /// <inheritdoc />
    public override Tensor Mean(Tensor output) => output.sigmoid();

    /// <inheritdoc />
    public override void CheckData(Tensor data, string name) => Guard.UnitInterval(data, name);

    /// <inheritdoc />
    public override string? OnnxRefusal => null;

    /// <inheritdoc />
    public override string? PyTorchRefusal => null;

    internal override Kernels.FusedOutput? Fused => Kernels.BernoulliOutput.Instance;

    internal override VaeLikelihood? BuiltIn => VaeLikelihood.Bernoulli;

    internal override string? OnnxMeanOperator => "Sigmoid";

    internal override string? Description => null;

    internal override string OnnxNegativeLogDensity(OnnxGraph graph, string decoded, string input, string axes, string half, VariationalAutoencoder model)
    {
        // max(l, 0) - l x + log(1 + exp(-|l|)), the stable BCE on logits libtorch computes.
        var positive = graph.Node("Relu", [decoded], "bce.positive");
        var product = graph.Node("Mul", [decoded, input], "bce.product");
        var absolute = graph.Node("Abs", [decoded], "bce.absolute");
        var negated = graph.Node("Neg", [absolute], "bce.negated");
        var softplus = graph.Node("Softplus", [negated], "bce.softplus");
        var difference = graph.Node("Sub", [positive, product], "bce.difference");
        var elementwise = graph.Node("Add", [difference, softplus], "bce.elementwise");
        return graph.Node("ReduceSum", [elementwise, axes], "reconstruction", ("keepdims", 0L));
    }
}
