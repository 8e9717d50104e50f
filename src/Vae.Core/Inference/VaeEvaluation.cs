using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>How well a model explains a data set: its mean negative ELBO, as <see cref="VaeTrainer"/> validates.</summary>
/// <example>
/// <code>
/// var test = model.Evaluate(testImages);   // ElboMetrics: Loss, Reconstruction, Kl in nats per sample
/// </code>
/// </example>
public static class VaeEvaluation
{
    /// <summary>Samples per forward pass when none is given; the trainer's validation uses it too.</summary>
    public const int DefaultBatchSize = 1000;

    /// <summary>
    /// The mean negative ELBO (beta = 1) of a data set, in nats per sample, from one sample of z per input drawn with a
    /// generator seeded by <paramref name="seed"/>, so repeated calls agree. The validation loss of a
    /// <see cref="VaeTrainer"/> is this with <see cref="DefaultBatchSize"/> and the trainer's <see cref="VaeTrainerOptions.Seed"/>.
    /// Data of another floating type than the model's (float64 from <c>torch.tensor(double[])</c>, float16) is converted
    /// to the model's a batch at a time. Safe to call from several threads at once on one model, as long as nothing trains it meanwhile.
    /// </summary>
    /// <param name="model">The model to evaluate, run without dropout; its training or evaluation mode is left as it was.</param>
    /// <param name="data">Data <c>[N, InputSize]</c> (or a convolutional model's images <c>[N, C, H, W]</c>), N &gt; 0, in [0, 1] for a Bernoulli model and finite for a Gaussian one.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="seed">Seed of the reparameterization noise.</param>
    /// <exception cref="ArgumentException">The data has the wrong shape, no samples, NaN, or values outside [0, 1] for a Bernoulli model.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public static ElboMetrics Evaluate(this VariationalAutoencoder model, Tensor data, int batchSize = DefaultBatchSize, long seed = 0)
    {
        using var scope = NewDisposeScope();
        data = CheckedData(model, data, batchSize);
        return EvaluateUnchecked(model, data, batchSize, seed);
    }

    /// <summary>
    /// The checks every whole-data-set figure makes before its first forward pass: the data flattened to the model's
    /// input rows (in the caller's dispose scope), not empty, valid for the model's likelihood, and a positive batch size.
    /// </summary>
    internal static Tensor CheckedData(VariationalAutoencoder model, Tensor data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        data = ModelInput.Flat(data, model.Options, nameof(data));
        if (data.shape[0] == 0) throw new ArgumentException($"data holds no samples (shape {Guard.Shape(data)}); there is nothing to evaluate.", nameof(data));
        model.Likelihood.CheckData(model.FeaturesOf(data), nameof(data));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return data;
    }

    internal static ElboMetrics EvaluateUnchecked(VariationalAutoencoder model, Tensor data, int batchSize, long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var modelDevice = model.Device;
        var modelType = model.parameters().First().dtype;
        using var generator = new Generator((ulong)seed, modelDevice);
        using var inference = model.Inference();
        var count = data.shape[0];
        var total = zeros(3, dtype: ScalarType.Float64, device: modelDevice);
        for (long start = 0; start < count; start += batchSize)
        {
            using var batchScope = NewDisposeScope();
            var batch = data.narrow(0, start, Math.Min(batchSize, count - start)).to(modelType, modelDevice);
            var terms = ElboLoss.NegativeElboUnchecked(model.Forward(batch, generator), model.FeaturesOf(batch), 1.0, Reduction.Sum);
            total.add_(stack([terms.Loss, terms.Reconstruction, terms.Kl]).to_type(ScalarType.Float64), Scalars.One);
        }
        var sums = total.cpu().data<double>().ToArray();
        return new ElboMetrics(sums[0] / count, sums[1] / count, sums[2] / count);
    }
}
