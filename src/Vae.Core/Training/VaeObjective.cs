using System.Text.Json.Serialization;

namespace Vae.Core;

/// <summary>The bound on log p(x) that <see cref="VaeTrainer"/> maximizes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter))]
public enum VaeObjective
{
    /// <summary>The evidence lower bound, one sample of z per input and the KL term in closed form (Kingma and Welling, 2014).</summary>
    Elbo,

    /// <summary>
    /// The importance-weighted bound of Burda, Grosse and Salakhutdinov (2016) with
    /// <see cref="VaeTrainerOptions.ImportanceSamples"/> samples k: <c>log (1/k) sum_i p(x, z_i) / q(z_i | x)</c>, tighter
    /// than the ELBO as k grows; with k = 1 it is the ELBO.
    /// </summary>
    Iwae,
}
