namespace Vae.Core.Recommendation;

/// <summary>
/// The parameters of <see cref="ReferenceSplit"/>; the defaults are those of the Mult-VAE reference preprocessing of
/// MovieLens-20M (github.com/dawenl/vae_cf).
/// </summary>
public sealed record ReferenceSplitOptions
{
    /// <summary>Users with fewer clicks are dropped (the reference's <c>min_uc = 5</c>).</summary>
    /// <value>Defaults to <c>5</c>.</value>
    public int MinUserClicks { get; init; } = 5;

    /// <summary>
    /// Items clicked by fewer users are dropped before the user filter (the reference's <c>min_sc</c>, which it
    /// leaves at 0: no item filter).
    /// </summary>
    /// <value>Defaults to 0.</value>
    public int MinItemUsers { get; init; }

    /// <summary>The number of validation users, and again of test users (10,000 in the reference).</summary>
    /// <value>Defaults to <c>10000</c>.</value>
    public int HeldOutUsers { get; init; } = 10_000;

    /// <summary>The share of each held-out user's clicks moved to the part to predict, rounded down (0.2).</summary>
    /// <value>Defaults to <c>0.2</c>.</value>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Held-out users with fewer clicks (on training items) keep them all as fold-in clicks (5 in the reference).</summary>
    /// <value>Defaults to <c>5</c>.</value>
    public int MinClicksToHoldOut { get; init; } = 5;

    /// <summary>The NumPy legacy seed of the user shuffle and of each held-out sampling (98765 in the reference).</summary>
    /// <value>Defaults to <c>98765</c>.</value>
    public uint Seed { get; init; } = 98765;

    /// <summary>Checks every setting, throwing <see cref="ArgumentOutOfRangeException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MinUserClicks, nameof(MinUserClicks));
        ArgumentOutOfRangeException.ThrowIfNegative(MinItemUsers, nameof(MinItemUsers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HeldOutUsers, nameof(HeldOutUsers));
        ArgumentOutOfRangeException.ThrowIfNegative(MinClicksToHoldOut, nameof(MinClicksToHoldOut));
        if (!(HeldOutFraction > 0 && HeldOutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(HeldOutFraction), HeldOutFraction, "The held-out fraction must lie strictly between 0 and 1.");
    }
}
