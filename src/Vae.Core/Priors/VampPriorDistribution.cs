using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The VampPrior as a <see cref="LatentPrior"/> (<see cref="VaePrior.Vamp"/>): the mixture of the model's posteriors at
/// the pseudo-inputs of its <see cref="VampPrior"/> module; the KL has no closed form.
/// </summary>
public sealed class VampPriorDistribution : LatentPrior
{
    private readonly VampPrior module;
    private readonly Encoder encoder;

    internal VampPriorDistribution(VampPrior module, Encoder encoder)
    {
        this.module = module;
        this.encoder = encoder;
    }

    /// <summary>The pseudo-inputs' module.</summary>
    public VampPrior Module => module;

    /// <inheritdoc />
    public override string Name => nameof(VaePrior.Vamp);

    /// <inheritdoc />
    public override Tensor LogDensity(Tensor z) => module.LogDensity(z, encoder);

    /// <inheritdoc />
    public override Tensor Sample(int count, Device device, Generator? generator) => module.Sample(count, encoder, generator);

    /// <inheritdoc />
    public override nn.Module? Parameters => module;

    internal override VaePrior? BuiltIn => VaePrior.Vamp;
}
