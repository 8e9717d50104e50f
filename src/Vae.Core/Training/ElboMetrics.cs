namespace Vae.Core;

/// <summary>Mean negative ELBO over a data set, in nats per sample, with its two parts.</summary>
/// <param name="Loss">Reconstruction + KL (beta = 1): the negative ELBO.</param>
/// <param name="Reconstruction">Mean binary cross-entropy, summed over features.</param>
/// <param name="Kl">Mean KL(q(z|x) || p(z)).</param>
public sealed record ElboMetrics(double Loss, double Reconstruction, double Kl);
