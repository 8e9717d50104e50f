using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The continuous Bernoulli (Loaiza-Ganem and Cunningham, 2019): the decoder's output holds the logits of lambda, the data
/// lies in [0, 1], the mean is the distribution's, not lambda (<see cref="VaeLikelihood.ContinuousBernoulli"/>).
/// </summary>
public sealed class ContinuousBernoulliLikelihood : DataLikelihood
{
    internal static readonly ContinuousBernoulliLikelihood Instance = new();

    private ContinuousBernoulliLikelihood() { }

    /// <inheritdoc />
    public override string Name => nameof(VaeLikelihood.ContinuousBernoulli);

    /// <inheritdoc />
    public override Tensor NegativeLogDensity(Tensor output, Tensor? parameter, Tensor target) =>
        ContinuousBernoulli.NegativeLogLikelihoodElementwise(output, target);

    /// <inheritdoc />
    public override Tensor Mean(Tensor output) => ContinuousBernoulli.MeanUnchecked(output);

    /// <inheritdoc />
    public override void CheckData(Tensor data, string name) => Guard.UnitInterval(data, name);

    /// <inheritdoc />
    public override string? OnnxRefusal => "has a continuous Bernoulli likelihood";

    /// <inheritdoc />
    public override string? PyTorchRefusal => null;

    internal override VaeLikelihood? BuiltIn => VaeLikelihood.ContinuousBernoulli;

    internal override string? Description => "continuous Bernoulli";
}
