namespace Vae.Core.Data;

/// <summary>How a <see cref="TabularPreprocessor"/> reads a CSV file into features.</summary>
/// <example>
/// <code>
/// var options = new TabularOptions { LabelColumn = "label", IgnoreColumns = ["id"], MissingValues = TabularMissingValues.Impute };
/// </code>
/// </example>
public sealed record TabularOptions
{
    /// <summary>A column kept aside from the features (e.g. the class used to measure a detector); null for none.</summary>
    /// <value>Defaults to null.</value>
    public string? LabelColumn { get; init; }

    /// <summary>Columns that are neither features nor the label, such as identifiers.</summary>
    /// <value>Defaults to <c>[]</c>.</value>
    public IReadOnlyList<string> IgnoreColumns { get; init => field = ValueList<string>.Of(value); } = ValueList<string>.Of([]);

    /// <summary>
    /// Columns to one-hot encode even though their values look like numbers (codes such as 1, 2, 3). A column is also
    /// categorical when its value on the first training row is not a number.
    /// </summary>
    /// <value>Defaults to <c>[]</c>.</value>
    public IReadOnlyList<string> CategoricalColumns { get; init => field = ValueList<string>.Of(value); } = ValueList<string>.Of([]);

    /// <summary>Empty fields and unknown categories are errors (the default) or imputed; recorded in the model.</summary>
    /// <value>Defaults to <see cref="TabularMissingValues.Error"/>.</value>
    public TabularMissingValues MissingValues { get; init; } = TabularMissingValues.Error;

    /// <summary>The default of <see cref="MaxCategories"/>.</summary>
    public const int DefaultMaxCategories = 100;

    /// <summary>
    /// The most distinct values a categorical column may have, each becoming one feature. Fitting stops as soon as a
    /// column passes it (so an identifier or free-text column neither fills memory nor makes thousands of features), with a
    /// <see cref="TabularDataException"/> naming the column: ignore it (<see cref="IgnoreColumns"/>) or raise this.
    /// </summary>
    /// <value><see cref="DefaultMaxCategories"/> (100); at least 1.</value>
    public int MaxCategories { get; init; } = DefaultMaxCategories;

    /// <summary>The rows to learn the preprocessing from (e.g. only the normal ones); null for every row.</summary>
    /// <value>Defaults to null.</value>
    public TabularRowFilter? RowFilter { get; init; }

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(IgnoreColumns, nameof(IgnoreColumns));
        ArgumentNullException.ThrowIfNull(CategoricalColumns, nameof(CategoricalColumns));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCategories, 1, $"{nameof(TabularOptions)}.{nameof(MaxCategories)}");
        if (!Enum.IsDefined(MissingValues))
            throw new ArgumentOutOfRangeException(nameof(MissingValues), MissingValues, $"Not a {nameof(TabularMissingValues)}.");
    }
}
