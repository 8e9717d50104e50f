using static TorchSharp.torch;

namespace Vae.Samples.Rendering;

/// <summary>
/// The grid of latent points behind a 2-D manifold picture: decode them in order and pass the images to
/// <see cref="ImageGrid.Save(string, float[], int, int, int, ImageGridOptions?)"/> with size columns.
/// </summary>
/// <remarks>
/// The points sit at quantiles of the standard normal prior rather than evenly spaced, so each tile covers the same
/// prior probability mass: q[i] = Φ⁻¹((i + 0.5) / size). Point r * size + c is (z1, z2) = (q[c], q[size - 1 - r]),
/// so z1 grows to the right and z2 grows upward, as on the axes of <see cref="LatentScatter"/>.
/// </remarks>
public static class LatentManifold
{
    /// <summary>size * size points as [z1, z2] pairs, row-major (shape [size * size, 2]).</summary>
    public static float[] GridPoints(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var quantiles = new float[size];
        for (var i = 0; i < size; i++) quantiles[i] = (float)NormalQuantile((i + 0.5) / size);
        var points = new float[size * size * 2];
        for (var row = 0; row < size; row++)
        {
            for (var column = 0; column < size; column++)
            {
                var at = (row * size + column) * 2;
                points[at] = quantiles[column];
                points[at + 1] = quantiles[size - 1 - row];
            }
        }
        return points;
    }

    /// <summary><see cref="GridPoints"/> as a float32 tensor of shape [size * size, 2] on the CPU; the caller disposes it.</summary>
    public static Tensor GridTensor(int size) => tensor(GridPoints(size), [size * size, 2]);

    /// <summary>Φ⁻¹(p), the standard normal quantile, to a relative error below 1.2e-9 (Acklam's rational approximation).</summary>
    public static double NormalQuantile(double p)
    {
        if (double.IsNaN(p) || p <= 0 || p >= 1)
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must lie strictly between 0 and 1.");
        const double low = 0.02425, high = 1 - low;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
                   ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
        }
        if (p > high) return -NormalQuantile(1 - p);
        {
            var q = p - 0.5;
            var r = q * q;
            return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q /
                   (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
        }
    }

    private static readonly double[] A =
        [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    private static readonly double[] B =
        [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
    private static readonly double[] C =
        [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
    private static readonly double[] D =
        [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
}
