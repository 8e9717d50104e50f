namespace Vae.Core.Recommendation;

/// <summary>
/// The parameters of <see cref="ReferenceSplit"/>; the defaults are those of the Mult-VAE reference preprocessing of
/// MovieLens-20M (github.com/dawenl/vae_cf).
/// </summary>
public sealed record ReferenceSplitOptions
{
    /// <summary>Users with fewer clicks are dropped (the reference's <c>min_uc = 5</c>).</summary>
    public int MinUserClicks { get; init; } = 5;

    /// <summary>
    /// Items clicked by fewer users are dropped before the user filter (the reference's <c>min_sc</c>, which it
    /// leaves at 0: no item filter).
    /// </summary>
    public int MinItemUsers { get; init; }

    /// <summary>The number of validation users, and again of test users (10,000 in the reference).</summary>
    public int HeldOutUsers { get; init; } = 10_000;

    /// <summary>The share of each held-out user's clicks moved to the part to predict, rounded down (0.2).</summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Held-out users with fewer clicks (on training items) keep them all as fold-in clicks (5 in the reference).</summary>
    public int MinClicksToHoldOut { get; init; } = 5;

    /// <summary>The NumPy legacy seed of the user shuffle and of each held-out sampling (98765 in the reference).</summary>
    public uint Seed { get; init; } = 98765;
}
