namespace Vae.Core;

/// <summary>What a validation pass measured.</summary>
/// <param name="Objective">The figure that early stopping, the best weights and plateau schedules follow: lower is better (the negative ELBO, or minus a ranking metric).</param>
/// <param name="Elbo">The negative ELBO and its terms, when the model measures them; else null.</param>
/// <param name="Metrics">Other figures by name (e.g. <c>ndcg@100</c>); empty when there are none.</param>
public sealed record ValidationOutcome(double Objective, ElboMetrics? Elbo, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>A validation that measured the negative ELBO (its <see cref="ElboMetrics.Loss"/> is the objective).</summary>
    /// <param name="elbo">The negative ELBO and its terms.</param>
    public static ValidationOutcome FromElbo(ElboMetrics elbo)
    {
        ArgumentNullException.ThrowIfNull(elbo);
        return new ValidationOutcome(elbo.Loss, elbo, new Dictionary<string, double>());
    }
}
