using TorchSharp;
using Vae.Core.Kernels;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// Importance-weighted estimates of the log-likelihood log p(x) of a <see cref="VariationalAutoencoder"/>
/// (the IWAE bound of Burda, Grosse and Salakhutdinov, 2016), in nats per sample.
/// </summary>
/// <remarks>
/// With z_1..z_k drawn from q(z|x), the estimate is
/// <c>logsumexp_i [log p(x|z_i) + log p(z_i) - log q(z_i|x)] - log k</c>: a lower bound on log p(x) that rises
/// with k towards it; k = 1 is the single-sample ELBO. log p(x|z) is the model's likelihood summed over features
/// (for Bernoulli minus the binary cross-entropy of the logits, for Gaussian its full log density) and both Gaussian
/// densities over z include their normalizing constants (see <see cref="GaussianDensity"/>). The work runs without
/// gradients, in blocks of rows and samples so that no layer's output exceeds about <see cref="DefaultElementBudget"/> elements, combined
/// with a running logsumexp in double precision.
/// </remarks>
public static class LikelihoodEstimator
{
    /// <summary>The largest number of values of one layer's output (samples x rows x width) held at once by default.</summary>
    public const int DefaultElementBudget = 1 << 22;

    /// <summary>Estimates log p(x) for each row of <paramref name="input"/> from <paramref name="samples"/> importance samples.</summary>
    /// <param name="model">The model to evaluate; it is not changed.</param>
    /// <param name="input">A batch <c>[N, InputSize]</c> (or a convolutional model's images <c>[N, C, H, W]</c>) with values in [0, 1] (Bernoulli) or finite values (Gaussian).</param>
    /// <param name="samples">The number k of latent samples per row (1 gives the single-sample ELBO; 5000 is customary for reported figures).</param>
    /// <param name="generator">Source of the latent samples, for repeatable estimates; the global generator when null.</param>
    /// <param name="progress">Told the number of rows finished after each block of rows.</param>
    /// <param name="cancellationToken">Checked between blocks of samples.</param>
    /// <returns>Estimates of log p(x) in nats, shape <c>[N]</c>, double precision, on the model's device.</returns>
    /// <exception cref="ArgumentException">The input has the wrong shape or lies outside the likelihood's range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is not positive.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Tensor LogLikelihood(
        VariationalAutoencoder model,
        Tensor input,
        int samples,
        Generator? generator = null,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default) =>
        LogLikelihood(model, input, samples, generator, progress, DefaultElementBudget, cancellationToken);

    /// <summary>
    /// Estimates the mean log p(x) over a data set, with its standard error: the figure to report for a test set.
    /// </summary>
    /// <param name="model">The model to evaluate; it is not changed.</param>
    /// <param name="data">The data set <c>[N, InputSize]</c> with values in [0, 1] (Bernoulli) or finite values (Gaussian).</param>
    /// <param name="samples">The number k of latent samples per row.</param>
    /// <param name="generator">Source of the latent samples; the global generator when null.</param>
    /// <param name="progress">Told the number of rows finished after each block of rows.</param>
    /// <param name="cancellationToken">Checked between blocks of samples.</param>
    /// <returns>The mean and standard error in nats per sample.</returns>
    /// <exception cref="ArgumentException">The data has the wrong shape, no rows, or lies outside the likelihood's range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is not positive.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static LikelihoodEstimate Estimate(
        VariationalAutoencoder model,
        Tensor data,
        int samples,
        Generator? generator = null,
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var inference = model.Inference();
        using var scope = NewDisposeScope();
        data = ModelInput.ForModel(data, model, nameof(data));
        if (data.shape[0] == 0)
            throw new ArgumentException($"{nameof(data)} must have at least one row, but has shape {Guard.Shape(data)}.", nameof(data));
        var values = LogLikelihood(model, data, samples, generator, progress, DefaultElementBudget, cancellationToken)
            .cpu().data<double>().ToArray();
        var mean = values.Average();
        var standardError = values.Length > 1
            ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1) / values.Length)
            : 0.0;
        return new LikelihoodEstimate(mean, standardError, values.Length, samples);
    }

    /// <summary>The estimator with an explicit memory budget, so tests can force many small blocks.</summary>
    internal static Tensor LogLikelihood(
        VariationalAutoencoder model,
        Tensor input,
        int samples,
        Generator? generator,
        IProgress<int>? progress,
        long elementBudget,
        CancellationToken cancellationToken,
        bool useFusedKernels = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elementBudget);
        using var inference = model.Inference();
        using var scope = NewDisposeScope();
        input = ModelInput.ForModel(input, model, nameof(input));
        model.Likelihood.CheckData(model.FeaturesOf(input), nameof(input));

        var rows = input.shape[0];
        var width = model.Options.WidestLayer();
        var rowsPerBlock = Math.Clamp(elementBudget / ((long)samples * width), 1, Math.Max(rows, 1));
        var samplesPerChunk = (int)Math.Clamp(elementBudget / (rowsPerBlock * width), 1, samples);

        using var noGrad = no_grad();
        // On x86-64 CPUs with AVX-512 or AVX2 an MLP's log p(x|z) comes from the fused kernel: several times faster, same values.
        using var fused = useFusedKernels && input.dtype == ScalarType.Float32 && input.device_type == DeviceType.CPU
            ? FusedLikelihood.TryCreate(model)
            : null;
        var threads = VaeRuntime.CpuThreads;
        var blocks = new List<Tensor>();
        for (long start = 0; start < rows; start += rowsPerBlock)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var length = Math.Min(rowsPerBlock, rows - start);
            blocks.Add(LogLikelihoodOfBlock(model, input.narrow(0, start, length), samples, samplesPerChunk, generator, fused, threads, cancellationToken));
            progress?.Report((int)(start + length));
        }
        var result = blocks.Count switch
        {
            0 => zeros(0, dtype: ScalarType.Float64, device: input.device),
            1 => blocks[0],
            _ => cat(blocks, 0),
        };
        return result.MoveToOuterDisposeScope();
    }

    private static Tensor LogLikelihoodOfBlock(
        VariationalAutoencoder model, Tensor x, int samples, int samplesPerChunk, Generator? generator,
        FusedLikelihood? fused, int threads, CancellationToken cancellationToken)
    {
        if (fused is not null) x = x.contiguous();
        using var scope = NewDisposeScope();
        var (mean, logVar) = model.Posterior(x);
        var std = logVar.mul(Scalars.Half).exp_();
        var rows = x.shape[0];
        var latent = mean.shape[1];
        Tensor? total = null;
        for (var done = 0; done < samples; done += samplesPerChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var chunkScope = NewDisposeScope();
            var count = Math.Min(samplesPerChunk, samples - done);
            // The same draw and arithmetic as Reparameterization.Sample, so k = 1 reproduces a forward pass's z.
            var eps = randn([count, rows, latent], dtype: mean.dtype, device: mean.device, generator: generator);
            var z = LogJoint.PosteriorSample(mean, std, eps);
            var logPxGivenZ = fused is not null
                ? fused.LogLikelihood(z.reshape(count * rows, latent), x, threads).reshape(count, rows)
                : LogJoint.NegativeLogLikelihood(model, z, x).sum(-1).neg_();
            var logPz = LogJoint.PriorLogDensity(model, z);
            var logQz = GaussianDensity.LogDensityUnchecked(z, mean, logVar);
            var logWeights = logPxGivenZ.add(logPz, Scalars.One).sub_(logQz).to_type(ScalarType.Float64);
            var chunk = logWeights.logsumexp(0);
            var combined = total is null ? chunk : stack([total, chunk]).logsumexp(0);
            total?.Dispose();
            total = combined.MoveToOuterDisposeScope();
        }
        using var s = new ScalarScope();
        return total!.sub(s[Math.Log(samples)]).MoveToOuterDisposeScope();
    }
}
