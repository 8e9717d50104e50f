using Vae.Core;
using Vae.Core.Data;
using static TorchSharp.torch;

namespace Vae.Mnist;

/// <summary>The rows a model reads: the images, or for a model conditioned on the digit, each image followed by its label as a one-hot vector.</summary>
internal static class ModelRows
{
    public static Tensor Of(VariationalAutoencoder model, MnistDataset data) =>
        model.Options.ConditionClasses > 0
            ? ConditionalData.Join(data.Images, data.Labels, model.Options.ConditionClasses)
            : data.Images.alias();
}
