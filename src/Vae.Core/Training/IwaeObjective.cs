using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// The negative importance-weighted bound (Burda, Grosse and Salakhutdinov, 2016) of a batch, summed over it, for
/// training: <c>-sum_n [logsumexp_i log w_ni - log k]</c> with <c>log w = log p(x|z) + beta (log p(z) - log q(z|x))</c>
/// and k reparameterized samples z_i ~ q(z|x). Its gradient is the paper's: the gradients of the log weights averaged
/// with the normalized weights, which is what autograd makes of the log-mean-exp.
/// </summary>
/// <remarks>
/// Beta weighs the prior-to-posterior log-ratio, so a KL warm-up works as it does for the ELBO; at beta = 1 it is the
/// bound itself. With k = 1 the bound is the ELBO, and it is trained as the ELBO is (closed-form KL, the same noise).
/// log q(z|x) is written with the standardized noise, <c>-0.5 sum (eps^2 + log sigma^2 + log 2 pi)</c>, which equals the
/// density at z = mu + sigma eps and has the same gradient.
/// </remarks>
internal static class IwaeObjective
{
    /// <summary>
    /// The summed negative bound as <see cref="ElboTerms.Loss"/>; <see cref="ElboTerms.Reconstruction"/> is -log p(x|z)
    /// averaged over the k samples and <see cref="ElboTerms.Kl"/> the closed-form KL, both summed over the batch, for
    /// reports (with k &gt; 1 they no longer add up to the loss, which is smaller).
    /// </summary>
    public static ElboTerms NegativeBound(VariationalAutoencoder model, Tensor data, int samples, double beta, Generator? noise)
    {
        if (samples == 1)
            return ElboLoss.NegativeElboUnchecked(model.Forward(data, noise), model.FeaturesOf(data), beta, Reduction.Sum);
        using var scope = NewDisposeScope();
        var (mean, logVariance) = model.Posterior(data);
        var rows = data.shape[0];
        var latent = mean.shape[1];
        var epsilon = randn([samples, rows, latent], dtype: mean.dtype, device: mean.device, generator: noise);
        using var s = new ScalarScope();
        var z = epsilon.mul(logVariance.mul(Scalars.Half).exp()).add(mean, Scalars.One);
        var decoded = model.LikelihoodParameters(model.DecoderInput(z, data).reshape(samples * rows, -1));
        var target = model.FeaturesOf(data).repeat(samples, 1);
        var reconstruction = LogJoint.Reconstruction(model, decoded, target).sum(1).reshape(samples, rows);
        var logPrior = LogJoint.PriorLogDensity(model, z);
        var logPosterior = epsilon.pow(Scalars.Two).add(logVariance, Scalars.One).add(Scalars.LogTwoPi, Scalars.One).sum(-1).mul(Scalars.MinusHalf);
        var logWeights = beta == 1.0
            ? reconstruction.neg().add(logPrior, Scalars.One).sub(logPosterior)
            : reconstruction.neg().add(logPrior.sub(logPosterior).mul(s[beta]), Scalars.One);
        var loss = logWeights.logsumexp(0).sub(s[Math.Log(samples)]).sum().neg();
        var kl = ElboLoss.KlUnchecked(mean, logVariance, Reduction.Sum);
        return new ElboTerms(
            reconstruction.mean([0]).sum().MoveToOuterDisposeScope(),
            kl.MoveToOuterDisposeScope(),
            loss.MoveToOuterDisposeScope());
    }
}
