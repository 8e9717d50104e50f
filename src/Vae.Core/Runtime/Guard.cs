using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>Argument checks that turn what libtorch would report as a native stack dump into plain messages.</summary>
internal static class Guard
{
    public static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";

    public static void NotNull(Tensor? tensor, string name)
    {
        if (tensor is null) throw new ArgumentNullException(name);
        if (tensor.IsInvalid) throw new ArgumentException($"{name} has been disposed.", name);
    }

    public static void Batched(Tensor tensor, string name)
    {
        NotNull(tensor, name);
        if (tensor.dim() < 1)
            throw new ArgumentException($"{name} must have a batch dimension [N, ...], but is a scalar.", name);
    }

    public static void Features(Tensor tensor, long features, string name)
    {
        NotNull(tensor, name);
        if (tensor.dim() != 2)
            throw new ArgumentException(
                $"{name} must have shape [N, {features}] (rank 2), but has shape {Shape(tensor)} (rank {tensor.dim()}).", name);
        if (tensor.shape[1] != features)
            throw new ArgumentException(
                $"{name} must have {features} features per sample (shape [N, {features}]), but has shape {Shape(tensor)}.", name);
        if (!tensor.is_floating_point())
            throw new ArgumentException($"{name} must be a floating-point tensor, but has dtype {tensor.dtype}.", name);
    }

    public static void SameShape(Tensor a, string aName, Tensor b, string bName)
    {
        NotNull(a, aName);
        NotNull(b, bName);
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException(
                $"{bName} must have the same shape as {aName}: {aName} has shape {Shape(a)}, {bName} has shape {Shape(b)}.", bName);
    }

    public static void NoNaN(Tensor tensor, string name)
    {
        using var scope = NewDisposeScope();
        var nans = tensor.isnan().sum().item<long>();
        if (nans > 0)
            throw new ArgumentException($"{name} contains {nans} NaN value(s) (shape {Shape(tensor)}).", name);
    }

    public static void Finite(Tensor tensor, string name)
    {
        using var scope = NewDisposeScope();
        var nonFinite = tensor.isfinite().logical_not().sum().item<long>();
        if (nonFinite > 0)
            throw new ArgumentException($"{name} contains {nonFinite} NaN or infinite value(s) (shape {Shape(tensor)}).", name);
    }

    /// <summary>One pass over the data: NaN first (it compares false with everything), then the range.</summary>
    public static void UnitInterval(Tensor tensor, string name)
    {
        NoNaN(tensor, name);
        if (tensor.numel() == 0) return;
        using var scope = NewDisposeScope();
        var low = tensor.min().to_type(ScalarType.Float64).item<double>();
        var high = tensor.max().to_type(ScalarType.Float64).item<double>();
        if (low < 0 || high > 1)
            throw new ArgumentException(
                $"{name} must lie in [0, 1] (Bernoulli targets or probabilities), but its values range from {low:G6} to {high:G6}.", name);
    }

    public static void Broadcastable(Tensor x, string xName, Tensor other, string name)
    {
        var xs = x.shape;
        var os = other.shape;
        var ok = os.Length <= xs.Length;
        for (var i = 1; ok && i <= os.Length; i++)
            ok = os[^i] == xs[^i] || os[^i] == 1;
        if (!ok)
            throw new ArgumentException(
                $"{name} must broadcast to the shape of {xName} {Shape(x)}, but has shape {Shape(other)}.", name);
    }

    public static void FreeBits(double freeBits)
    {
        if (!double.IsFinite(freeBits) || freeBits < 0)
            throw new ArgumentException($"freeBits must be finite and non-negative, but was {freeBits}.", nameof(freeBits));
    }

    public static void Beta(double beta)
    {
        if (!double.IsFinite(beta) || beta < 0)
            throw new ArgumentException($"beta must be finite and non-negative, but was {beta}.", nameof(beta));
    }
}
