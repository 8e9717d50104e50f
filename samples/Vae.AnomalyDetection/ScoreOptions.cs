using Spectre.Console;

namespace Vae.AnomalyDetection;

/// <summary>The checks of --score and -k, which the hold-out and the tabular commands share.</summary>
internal static class ScoreOptions
{
    /// <summary>Whether <paramref name="score"/> names a score and <paramref name="k"/> fits it.</summary>
    public static ValidationResult Validate(string score, int? k)
    {
        var kind = score.Trim().ToLowerInvariant();
        if (kind is not ("elbo" or "iwae")) return ValidationResult.Error($"--score must be 'elbo' or 'iwae', but was '{score}'.");
        if (k is <= 0) return ValidationResult.Error($"-k must be at least 1, but was {k}.");
        // Saying so beats silently ignoring a k that the ELBO score never uses.
        if (k is not null && kind == "elbo") return ValidationResult.Error("-k applies only to --score iwae.");
        return ValidationResult.Success();
    }
}
