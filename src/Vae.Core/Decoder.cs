using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The generative network p(x|z): maps latent codes <c>[N, LatentSize]</c> to the logits <c>[N, InputSize]</c> of
/// independent Bernoulli pixels. Apply <c>sigmoid</c> (or use <see cref="VariationalAutoencoder.Decode"/>) for
/// probabilities; the loss works on logits because that is numerically stable.
/// </summary>
public sealed class Decoder : Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    /// <summary>Creates a decoder that mirrors the encoder's hidden layers.</summary>
    /// <param name="options">The architecture; see <see cref="VaeOptions"/>.</param>
    /// <exception cref="ArgumentException">The options contain a size that is not positive.</exception>
    public Decoder(VaeOptions options) : base(VaeRuntime.CheckedName(nameof(Decoder)))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        layers = Sequential();
        var width = options.LatentSize;
        var index = 1;
        foreach (var size in options.HiddenSizes.Reverse())
        {
            layers.append($"fc{index}", Linear(width, size));
            layers.append($"relu{index}", ReLU());
            width = size;
            index++;
        }
        layers.append($"fc{index}", Linear(width, options.InputSize));
        RegisterComponents();
    }

    /// <summary>The architecture this decoder was built with.</summary>
    public VaeOptions Options { get; }

    /// <summary>Computes the logits of p(x|z).</summary>
    /// <param name="latent">Latent codes of shape <c>[N, LatentSize]</c>.</param>
    /// <exception cref="ArgumentException">The codes are not two-dimensional or have the wrong size.</exception>
    public override Tensor forward(Tensor latent)
    {
        Guard.Features(latent, Options.LatentSize, nameof(latent));
        return layers.forward(latent);
    }
}
