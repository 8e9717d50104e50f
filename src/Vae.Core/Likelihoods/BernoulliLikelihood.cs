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

    internal override VaeLikelihood? BuiltIn => VaeLikelihood.Bernoulli;

    internal override string? OnnxMeanOperator => "Sigmoid";
}
