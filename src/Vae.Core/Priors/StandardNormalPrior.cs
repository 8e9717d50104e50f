using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>The standard normal prior N(0, I) (<see cref="VaePrior.Standard"/>), with the KL in closed form.</summary>
public sealed class StandardNormalPrior : LatentPrior
{
    internal StandardNormalPrior(int latentSize) => LatentSize = latentSize;

    /// <summary>The number of latent dimensions.</summary>
    public int LatentSize { get; }

    /// <inheritdoc />
    public override string Name => nameof(VaePrior.Standard);

    /// <inheritdoc />
    public override Tensor LogDensity(Tensor z) => GaussianDensity.StandardLogDensityUnchecked(z);

    /// <inheritdoc />
    public override Tensor Sample(int count, Device device, Generator? generator) =>
        randn([count, LatentSize], device: device, generator: generator);

    /// <inheritdoc />
    public override bool HasClosedFormKl => true;

    /// <inheritdoc />
    public override Tensor? KlPerDimension(Tensor mean, Tensor logVariance) => ElboLoss.KlElementwise(mean, logVariance);

    internal override VaePrior? BuiltIn => VaePrior.Standard;
}
