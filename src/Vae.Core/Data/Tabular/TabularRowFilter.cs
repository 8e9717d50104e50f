namespace Vae.Core.Data;

/// <summary>Chooses the rows of a CSV file to use, e.g. only the normal rows for training.</summary>
/// <param name="rowIndex">The row's position among the data rows of the file, from 0 (the header is not a row).</param>
/// <param name="label">The row's value in the label column, or null when the table has no label column.</param>
/// <returns>True to use the row.</returns>
public delegate bool TabularRowFilter(long rowIndex, string? label);
