using System.Text.Json.Serialization;

namespace Vae.Core;

/// <summary>The prior p(z) of a <see cref="VariationalAutoencoder"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter))]
public enum VaePrior
{
    /// <summary>The standard normal N(0, I), with the KL term in closed form.</summary>
    Standard,

    /// <summary>
    /// The VampPrior of Tomczak and Welling (2018): the mean of the encoder's posteriors at
    /// <see cref="VaeOptions.PseudoInputs"/> learned pseudo-inputs (see <see cref="Core.VampPrior"/>).
    /// </summary>
    Vamp,
}
