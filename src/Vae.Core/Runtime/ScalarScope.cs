using TorchSharp;

namespace Vae.Core;

/// <summary>
/// TorchSharp scalars that stay alive until the scope is disposed: the one way the library's tensor code makes a
/// <see cref="Scalar"/> from a value known only at run time.
/// </summary>
/// <remarks>
/// A TorchSharp <see cref="Scalar"/> belongs to no dispose scope and is freed by its finalizer. One made on the fly
/// (an implicit conversion in <c>x * 0.5</c>, or TorchSharp's own <c>add(Tensor)</c>, which passes a new Scalar 1)
/// is unreachable as soon as its handle has been read, so a collection started by another thread during the libtorch
/// call lets the finalizer free the scalar while libtorch still reads it: this corrupted the native heap in Mult-VAE
/// training and in IWAE estimates when the cores were contended. Declared with <c>using</c>, a scope is reachable until
/// its end, and it holds every scalar it made. <c>NativeLifetimeTests</c> checks that no other code of the library
/// makes one.
/// </remarks>
internal sealed class ScalarScope : IDisposable
{
    private readonly List<Scalar> _scalars = [];

    /// <summary>A float64 scalar, alive until this scope is disposed.</summary>
    public Scalar this[double value] => Hold(value.ToScalar());

    /// <summary>An int64 scalar, alive until this scope is disposed.</summary>
    public Scalar this[long value] => Hold(value.ToScalar());

    /// <summary>A float32 scalar, alive until this scope is disposed.</summary>
    public Scalar this[float value] => Hold(value.ToScalar());

    private Scalar Hold(Scalar scalar)
    {
        _scalars.Add(scalar);
        return scalar;
    }

    public void Dispose()
    {
        foreach (var scalar in _scalars) scalar.Dispose();
        _scalars.Clear();
    }
}
