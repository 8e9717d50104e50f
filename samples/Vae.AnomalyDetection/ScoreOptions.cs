using Vae.Core;
using Spectre.Console;

namespace Vae.AnomalyDetection;

/// <summary>The checks of --score and -k, which the hold-out and the tabular commands share.</summary>
internal static class ScoreOptions
{
    /// <summary>Whether <paramref name="score"/> names a score and <paramref name="k"/> fits it.</summary>
    public static ValidationResult Validate(string score, int? k)
    {
        var kind = Kind(score);
        if (kind is null) return ValidationResult.Error($"--score must be 'elbo' or 'iwae', but was '{score}'.");
        if (k is <= 0) return ValidationResult.Error($"-k must be at least 1, but was {k}.");
        // Saying so beats silently ignoring a k that the ELBO score never uses.
        if (k is not null && kind == AnomalyScoreKind.NegativeElboAtMean) return ValidationResult.Error("-k applies only to --score iwae.");
        return ValidationResult.Success();
    }

    /// <summary>The score <paramref name="score"/> names (<c>elbo</c> or <c>iwae</c>, any case), or null.</summary>
    public static AnomalyScoreKind? Kind(string score) => Vae.Samples.SampleSettings.Choice<AnomalyScoreKind>(score, [],
        ("elbo", AnomalyScoreKind.NegativeElboAtMean), ("iwae", AnomalyScoreKind.NegativeImportanceWeighted));
}
