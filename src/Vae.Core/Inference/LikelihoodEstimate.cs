namespace Vae.Core;

/// <summary>An importance-weighted estimate of the mean log-likelihood of a data set, in nats per sample.</summary>
/// <param name="MeanLogLikelihood">The mean over the data of the per-sample estimates of log p(x).</param>
/// <param name="StandardError">The standard error of that mean over the data (sample standard deviation / sqrt(count)); 0 for one sample.</param>
/// <param name="Count">How many data samples were evaluated.</param>
/// <param name="ImportanceSamples">The number k of latent samples per data sample.</param>
public sealed record LikelihoodEstimate(double MeanLogLikelihood, double StandardError, int Count, int ImportanceSamples)
{
    /// <summary>The estimate of the mean negative log-likelihood, the figure papers report (lower is better).</summary>
    public double MeanNegativeLogLikelihood => -MeanLogLikelihood;
}
