using TorchSharp;

namespace Vae.Core;

/// <summary>
/// Scalars the losses use on every call, created once and rooted for the life of the process. An implicit conversion
/// (<c>x - 1</c>, <c>mul_(0.5)</c>, <c>square()</c>) makes a <see cref="Scalar"/> that nothing references once its handle
/// is passed to libtorch, so under allocation pressure (a service scoring on many threads) the finalizer thread can free
/// it while the native call still reads it: libtorch then fails an internal assert or computes with garbage. A static
/// scalar is never finalized, and libtorch only reads it, so every thread may share it.
/// </summary>
internal static class FixedScalars
{
    public static readonly Scalar One = 1.0.ToScalar();

    public static readonly Scalar Half = 0.5.ToScalar();

    public static readonly Scalar Two = 2.0.ToScalar();

    /// <summary>log 2π, the Gaussian density's constant per feature.</summary>
    public static readonly Scalar LogTwoPi = (2 * GaussianDensity.HalfLogTwoPi).ToScalar();
}
