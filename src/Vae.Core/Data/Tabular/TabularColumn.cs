namespace Vae.Core.Data;

/// <summary>
/// One input column of a table as the training rows described it: its name, its kind, and what encoding it needs
/// (the mean and standard deviation of a numeric column, the vocabulary of a categorical one).
/// </summary>
/// <param name="Name">The column's name in the header.</param>
/// <param name="Kind">Numeric or categorical.</param>
/// <param name="Mean">The training mean of a numeric column (also the value imputed for it); 0 for a categorical one.</param>
/// <param name="StandardDeviation">
/// The training standard deviation of a numeric column (population, as scikit-learn's StandardScaler); 0 for a constant
/// column, which is centred but not divided, and for a categorical one.
/// </param>
/// <param name="Categories">The vocabulary of a categorical column in ordinal order, one feature each; empty for a numeric one.</param>
/// <param name="MostFrequent">The most frequent training category (ties: the first in ordinal order), imputed when asked; null for a numeric column.</param>
public sealed record TabularColumn(
    string Name,
    TabularColumnKind Kind,
    double Mean,
    double StandardDeviation,
    IReadOnlyList<string> Categories,
    string? MostFrequent)
{
    /// <summary>How many features the column becomes: 1 for a numeric column, one per category for a categorical one.</summary>
    public int FeatureCount => Kind == TabularColumnKind.Numeric ? 1 : Categories.Count;

    /// <summary>Whether values are divided by <see cref="StandardDeviation"/>: false for a constant column, to avoid dividing by zero.</summary>
    public bool IsScaled => Kind == TabularColumnKind.Numeric && StandardDeviation > 0;
}
