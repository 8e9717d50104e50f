using System.Diagnostics;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>The modules and functions of each <see cref="VaeActivation"/>, in one place for the encoder and decoder.</summary>
internal static class Activations
{
    /// <summary>A new module computing <paramref name="activation"/>.</summary>
    public static Module<Tensor, Tensor> Module(VaeActivation activation) => activation switch
    {
        VaeActivation.ReLU => ReLU(),
        // TorchSharp's own LeakyReLU and ELU modules pass libtorch scalars that only a finalizer frees (see ScalarScope).
        VaeActivation.LeakyReLU or VaeActivation.ELU => new ActivationModule(activation),
        VaeActivation.GELU => GELU(),
        VaeActivation.SiLU => SiLU(),
        VaeActivation.Tanh => Tanh(),
        _ => throw new UnreachableException($"No module for the {activation} activation."),
    };

    /// <summary><paramref name="activation"/> of <paramref name="input"/>, as a new tensor.</summary>
    public static Tensor Apply(VaeActivation activation, Tensor input) => activation switch
    {
        VaeActivation.ReLU => functional.relu(input),
        VaeActivation.LeakyReLU => input.leaky_relu(Scalars.LeakyReLUSlope),
        VaeActivation.ELU => input.elu(Scalars.One, Scalars.One, Scalars.One),
        VaeActivation.GELU => functional.gelu(input),
        VaeActivation.SiLU => functional.silu(input),
        VaeActivation.Tanh => functional.tanh(input),
        _ => throw new UnreachableException($"No function for the {activation} activation."),
    };

    /// <summary>The name of the activation's module in a network's <c>Sequential</c>: <c>relu1</c> as ever for ReLU.</summary>
    public static string Name(VaeActivation activation, int index) =>
        $"{activation.ToString().ToLowerInvariant()}{index}";
}
