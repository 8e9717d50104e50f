namespace Vae.Core;

/// <summary>How an <see cref="AnomalyDetector"/> scores a sample; higher scores are more anomalous, both in nats.</summary>
public enum AnomalyScoreKind
{
    /// <summary>
    /// The negative ELBO with z at the posterior mean: the negative log-likelihood of the decoded mean (the binary
    /// cross-entropy for Bernoulli data) plus the analytic
    /// KL(q(z|x) || p(z)). Deterministic and as cheap as one forward pass.
    /// </summary>
    NegativeElboAtMean,

    /// <summary>
    /// The negative importance-weighted estimate of log p(x) (<see cref="LikelihoodEstimator"/>): closer to the true
    /// negative log-likelihood, but random and k times as expensive.
    /// </summary>
    NegativeImportanceWeighted,
}
