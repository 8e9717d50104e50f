namespace Vae.Core.Data;

/// <summary>What a <see cref="TabularPreprocessor"/> does with an empty field or a category it never saw in training.</summary>
public enum TabularMissingValues
{
    /// <summary>Throw a <see cref="TabularDataException"/> naming the file or row, the line and the column (the default).</summary>
    Error,

    /// <summary>
    /// Replace an empty numeric field by the column's training mean, and an empty or unknown categorical field by its
    /// most frequent training category. The choice is recorded in the model file.
    /// </summary>
    Impute,
}
