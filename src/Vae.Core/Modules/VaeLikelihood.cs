using System.Text.Json.Serialization;

namespace Vae.Core;

/// <summary>The distribution p(x|z) a <see cref="VariationalAutoencoder"/>'s decoder parameterizes, one independent variable per feature.</summary>
[JsonConverter(typeof(JsonStringEnumConverter))]
public enum VaeLikelihood
{
    /// <summary>Bernoulli features, for data in [0, 1] such as pixel intensities: the decoder gives logits.</summary>
    Bernoulli,

    /// <summary>
    /// Gaussian features, for real-valued data: the decoder gives the means, and the variance is either fixed
    /// (<see cref="VaeOptions.GaussianVariance"/>) or learned per feature (<see cref="VaeOptions.LearnGaussianVariance"/>).
    /// </summary>
    Gaussian,
}
