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

    /// <summary>
    /// Continuous Bernoulli features (<see cref="Core.ContinuousBernoulli"/>), for grey levels in [0, 1]: the decoder gives
    /// logits as for Bernoulli, and the likelihood adds the normaliser that makes it a density on [0, 1]. Its nats are
    /// those of a density, not of a probability, so they are not comparable with a Bernoulli model's.
    /// </summary>
    ContinuousBernoulli,
}
