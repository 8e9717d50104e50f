using System.Text.Json.Serialization;

namespace Vae.Core;

/// <summary>The nonlinearity after each hidden layer (and each convolution) of the built-in encoder and decoder.</summary>
[JsonConverter(typeof(JsonStringEnumConverter))]
public enum VaeActivation
{
    /// <summary>max(0, x), the default and the one of Kingma and Welling's and pytorch/examples' networks.</summary>
    ReLU,

    /// <summary>x for x &gt; 0, 0.01 x otherwise.</summary>
    LeakyReLU,

    /// <summary>x for x &gt; 0, exp(x) - 1 otherwise.</summary>
    ELU,

    /// <summary>x Φ(x), Φ the standard normal distribution function (the exact form, not the tanh approximation).</summary>
    GELU,

    /// <summary>x sigmoid(x), also called swish.</summary>
    SiLU,

    /// <summary>The hyperbolic tangent.</summary>
    Tanh,
}
