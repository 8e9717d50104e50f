using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The inference network q(z|x): maps a batch <c>[N, InputSize]</c> to the mean and log-variance
/// (each <c>[N, LatentSize]</c>) of a diagonal Gaussian over the latent code.
/// </summary>
public sealed class Encoder : Module<Tensor, (Tensor Mean, Tensor LogVar)>
{
    private readonly Sequential hidden;
    private readonly Linear mean;
    private readonly Linear logVar;

    /// <summary>Creates an encoder with freshly initialized weights (PyTorch's default initialization).</summary>
    /// <param name="options">The architecture; see <see cref="VaeOptions"/>.</param>
    /// <exception cref="ArgumentException">The options contain a size that is not positive.</exception>
    public Encoder(VaeOptions options) : base(VaeRuntime.CheckedName(nameof(Encoder)))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        hidden = Sequential();
        var width = options.InputSize;
        for (var i = 0; i < options.HiddenSizes.Count; i++)
        {
            hidden.append($"fc{i + 1}", Linear(width, options.HiddenSizes[i]));
            hidden.append($"relu{i + 1}", ReLU());
            width = options.HiddenSizes[i];
        }
        mean = Linear(width, options.LatentSize);
        logVar = Linear(width, options.LatentSize);
        RegisterComponents();
    }

    /// <summary>The architecture this encoder was built with.</summary>
    public VaeOptions Options { get; }

    /// <summary>Computes the parameters of q(z|x).</summary>
    /// <param name="input">A batch of shape <c>[N, InputSize]</c>.</param>
    /// <exception cref="ArgumentException">The input is not two-dimensional or has the wrong feature count.</exception>
    public override (Tensor Mean, Tensor LogVar) forward(Tensor input)
    {
        Guard.Features(input, Options.InputSize, nameof(input));
        using var h = hidden.forward(input);
        return (mean.forward(h), logVar.forward(h));
    }
}
