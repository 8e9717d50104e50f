namespace Vae.Core.TimeSeries;

/// <summary>
/// A NAB application profile: the weights of the cost matrix in numenta/NAB's config/profiles.json that scale true
/// positives, false positives and missed windows when a detector is scored.
/// </summary>
public sealed class NabProfile
{
    /// <summary>Creates a profile with the given weights.</summary>
    /// <param name="name">The profile's name, as NAB spells it (e.g. <c>standard</c>).</param>
    /// <param name="truePositiveWeight">A_TP, the weight of a detected window; must be positive.</param>
    /// <param name="falsePositiveWeight">A_FP, the weight of a false positive; must not be negative.</param>
    /// <param name="falseNegativeWeight">A_FN, the penalty of a missed window; must not be negative.</param>
    /// <param name="trueNegativeWeight">A_TN; NAB's scorer reads but never uses it.</param>
    public NabProfile(string name, double truePositiveWeight, double falsePositiveWeight, double falseNegativeWeight,
        double trueNegativeWeight = 1.0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!(truePositiveWeight > 0) || double.IsInfinity(truePositiveWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(truePositiveWeight), truePositiveWeight, "Must be positive and finite.");
        }

        if (!(falsePositiveWeight >= 0) || double.IsInfinity(falsePositiveWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(falsePositiveWeight), falsePositiveWeight, "Must be non-negative and finite.");
        }

        if (!(falseNegativeWeight >= 0) || double.IsInfinity(falseNegativeWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(falseNegativeWeight), falseNegativeWeight, "Must be non-negative and finite.");
        }

        Name = name;
        TruePositiveWeight = truePositiveWeight;
        FalsePositiveWeight = falsePositiveWeight;
        FalseNegativeWeight = falseNegativeWeight;
        TrueNegativeWeight = trueNegativeWeight;
    }

    /// <summary>NAB's <c>standard</c> profile.</summary>
    /// <value>A_TP = 1, A_FP = 0.11, A_FN = 1, A_TN = 1.</value>
    public static NabProfile Standard { get; } = new("standard", 1.0, 0.11, 1.0);

    /// <summary>NAB's <c>reward_low_FP_rate</c> profile: false positives cost twice as much as in the standard one.</summary>
    /// <value>A_TP = 1, A_FP = 0.22, A_FN = 1, A_TN = 1.</value>
    public static NabProfile RewardLowFalsePositiveRate { get; } = new("reward_low_FP_rate", 1.0, 0.22, 1.0);

    /// <summary>NAB's <c>reward_low_FN_rate</c> profile: a missed window costs twice as much as in the standard one.</summary>
    /// <value>A_TP = 1, A_FP = 0.11, A_FN = 2, A_TN = 1.</value>
    public static NabProfile RewardLowFalseNegativeRate { get; } = new("reward_low_FN_rate", 1.0, 0.11, 2.0);

    /// <summary>NAB's three profiles.</summary>
    /// <value><see cref="Standard"/>, <see cref="RewardLowFalsePositiveRate"/>, <see cref="RewardLowFalseNegativeRate"/>, in that order.</value>
    public static IReadOnlyList<NabProfile> All { get; } = [Standard, RewardLowFalsePositiveRate, RewardLowFalseNegativeRate];

    /// <summary>The profile's name.</summary>
    /// <value>As given to the constructor, e.g. <c>standard</c>.</value>
    public string Name { get; }

    /// <summary>A_TP: the score of a window detected at its very start.</summary>
    /// <value>As given to the constructor; 1 in NAB's profiles.</value>
    public double TruePositiveWeight { get; }

    /// <summary>A_FP: the weight of a false positive's (negative) sigmoid score.</summary>
    /// <value>As given to the constructor; 0.11 or 0.22 in NAB's profiles.</value>
    public double FalsePositiveWeight { get; }

    /// <summary>A_FN: the penalty of a window with no detection.</summary>
    /// <value>As given to the constructor; 1 or 2 in NAB's profiles.</value>
    public double FalseNegativeWeight { get; }

    /// <summary>A_TN: kept for completeness; NAB's scorer does not use it.</summary>
    /// <value>As given to the constructor; defaults to 1, as in NAB's profiles.</value>
    public double TrueNegativeWeight { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
