using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// An activation as a module of a network's <c>Sequential</c>, computed by <see cref="Activations.Apply"/>: for the
/// activations whose TorchSharp modules pass libtorch scalars that nothing keeps alive (see <see cref="ScalarScope"/>).
/// </summary>
internal sealed class ActivationModule : nn.Module<Tensor, Tensor>
{
    private readonly VaeActivation _activation;

    public ActivationModule(VaeActivation activation) : base(activation.ToString())
    {
        _activation = activation;
    }

    public override Tensor forward(Tensor input) => Activations.Apply(_activation, input);
}
