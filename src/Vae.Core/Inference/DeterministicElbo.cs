using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The negative ELBO with the latent code at the posterior mean instead of a sample: no randomness, so the same weights
/// give the same figure in PyTorch and here, which is what a comparison across frameworks needs.
/// </summary>
public static class DeterministicElbo
{
    /// <summary>
    /// The mean over the rows of <paramref name="data"/> of -log p(x | z = mean of q(z|x)) summed over the features
    /// (binary cross-entropy for the Bernoulli likelihood, the Gaussian negative log-density for the Gaussian) plus the
    /// analytic KL(q(z|x) || N(0, I)), in nats per sample, accumulated in float64.
    /// </summary>
    /// <param name="model">The model; run without dropout whatever its mode, which it keeps.</param>
    /// <param name="data">Samples <c>[N, InputSize]</c> (a conditional model's rows followed by their condition), in [0, 1] for the Bernoulli likelihood.</param>
    /// <param name="batchSize">Rows per forward pass; does not change the result beyond float rounding.</param>
    /// <exception cref="ArgumentException">The data has the wrong shape, no rows, or values outside [0, 1] for the Bernoulli likelihood.</exception>
    public static double NegativeElboAtMean(this VariationalAutoencoder model, Tensor data, int batchSize = VaeEvaluation.DefaultBatchSize)
    {
        using var scope = NewDisposeScope();
        data = VaeEvaluation.CheckedData(model, data, batchSize);
        using var noGrad = no_grad();
        using var inference = model.Inference();
        var device = model.Device;
        var dtype = model.parameters().First().dtype;
        var count = data.shape[0];
        var total = zeros(1, dtype: ScalarType.Float64, device: device);
        for (long start = 0; start < count; start += batchSize)
        {
            using var batchScope = NewDisposeScope();
            var batch = data.narrow(0, start, Math.Min(batchSize, count - start)).to(dtype, device);
            // Rows summed in float32, the batch in float64: a float32 sum over a whole batch would round to about 1e-7 of the total.
            total.add_(LogJoint.NegativeElboAtMean(model, batch).to_type(ScalarType.Float64).sum(), Scalars.One);
        }
        return total.cpu().item<double>() / count;
    }
}
