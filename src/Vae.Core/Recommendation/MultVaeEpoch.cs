namespace Vae.Core.Recommendation;

/// <summary>What one epoch of <see cref="MultVaeTrainer"/> measured.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Loss">The mean over training users of the annealed negative ELBO (plus the weight penalty, if any).</param>
/// <param name="NegativeLogLikelihood">The mean multinomial negative log-likelihood of the training users (with input dropout and a sampled z).</param>
/// <param name="Kl">The mean KL divergence of q(z|x) from the prior.</param>
/// <param name="KlWeight">The KL weight of the epoch's last step.</param>
/// <param name="ValidationNdcg">NDCG@100 of the validation users, or null without validation users.</param>
/// <param name="IsBest">Whether this epoch's validation NDCG@100 is the best so far (its weights are kept).</param>
/// <param name="TrainingSeconds">The seconds spent on the epoch's optimizer steps, without validation.</param>
/// <param name="UsersPerSecond">Training users per second of the epoch's optimizer steps (RecVAE: the training users over the seconds of all the epoch's passes, each user counted once).</param>
public sealed record MultVaeEpoch(
    int Epoch, double Loss, double NegativeLogLikelihood, double Kl, double KlWeight, double? ValidationNdcg, bool IsBest,
    double TrainingSeconds, double UsersPerSecond);
