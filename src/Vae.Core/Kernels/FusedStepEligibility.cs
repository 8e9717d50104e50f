namespace Vae.Core.Kernels;

/// <summary>Whether <see cref="FusedMlpStep"/> implements a training setup, and if not, why.</summary>
/// <param name="Reason">What the step does not implement; null when it implements everything.</param>
internal readonly record struct FusedStepEligibility(string? Reason)
{
    /// <summary>The step implements the setup.</summary>
    public static FusedStepEligibility Eligible => default;

    /// <summary>True when the step implements the setup.</summary>
    public bool IsEligible => Reason is null;

    /// <summary>The step does not implement the setup, for <paramref name="reason"/>.</summary>
    public static FusedStepEligibility Ineligible(string reason) => new(reason);

    /// <inheritdoc />
    public override string ToString() => Reason ?? "eligible";
}
