using System.Text.Json.Serialization;

namespace Vae.Core;

/// <summary>The kind of networks a <see cref="VariationalAutoencoder"/> uses for its encoder and decoder.</summary>
[JsonConverter(typeof(JsonStringEnumConverter))]
public enum VaeArchitecture
{
    /// <summary>Fully connected layers (<see cref="VaeOptions.HiddenSizes"/>) on the flattened input.</summary>
    Mlp,

    /// <summary>
    /// Strided convolutions on the input seen as an image (<see cref="VaeOptions.ImageChannels"/> x
    /// <see cref="VaeOptions.ImageHeight"/> x <see cref="VaeOptions.ImageWidth"/>), each halving the height and width,
    /// then the fully connected <see cref="VaeOptions.HiddenSizes"/>; the decoder mirrors them with transposed convolutions.
    /// </summary>
    Convolutional,

    /// <summary>
    /// An encoder and decoder of the caller's own, given to
    /// <see cref="VariationalAutoencoder(TorchSharp.torch.nn.Module{TorchSharp.torch.Tensor, ValueTuple{TorchSharp.torch.Tensor, TorchSharp.torch.Tensor}}, TorchSharp.torch.nn.Module{TorchSharp.torch.Tensor, TorchSharp.torch.Tensor}, VaeOptions)"/>:
    /// only <see cref="VaeOptions.InputSize"/>, <see cref="VaeOptions.LatentSize"/> and the likelihood's options describe
    /// it. A saved custom model holds its weights, but loading it needs the same modules again
    /// (<see cref="VariationalAutoencoder.LoadWeights(string)"/>).
    /// </summary>
    Custom,
}
