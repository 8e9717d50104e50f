using TorchSharp;

namespace Vae.Core;

/// <summary>
/// The constant TorchSharp scalars the library's tensor code uses, made once and held by static fields, so no
/// finalizer can free one while libtorch reads it (see <see cref="ScalarScope"/>).
/// </summary>
internal static class Scalars
{
    /// <summary>The integer 0.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>The integer 1: the <c>alpha</c> of <c>add</c> and <c>sub</c> that TorchSharp's shorter overloads pass.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The integer 2: the exponent of <c>square()</c>, which TorchSharp computes as <c>pow(2)</c>.</summary>
    public static readonly Scalar Two = 2.ToScalar();

    /// <summary>The negative slope of <see cref="VaeActivation.LeakyReLU"/>, 0.01 as PyTorch's default.</summary>
    public static readonly Scalar LeakyReLUSlope = 0.01.ToScalar();

    /// <summary>Negative infinity (float32): the score of an item that must never be ranked.</summary>
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();

    /// <summary>0.5 (float64).</summary>
    public static readonly Scalar Half = 0.5.ToScalar();

    /// <summary>-0.5 (float64).</summary>
    public static readonly Scalar MinusHalf = (-0.5).ToScalar();

    /// <summary>½ log 2π (float64), the Gaussian log-density's constant.</summary>
    public static readonly Scalar HalfLogTwoPi = GaussianDensity.HalfLogTwoPi.ToScalar();

    /// <summary>log 2π (float64).</summary>
    public static readonly Scalar LogTwoPi = (2 * GaussianDensity.HalfLogTwoPi).ToScalar();
}
