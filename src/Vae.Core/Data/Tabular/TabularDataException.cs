namespace Vae.Core.Data;

/// <summary>
/// A table that cannot be read or a row that cannot be encoded: the message names the file (or "row" for a row given in
/// memory), the line and the column, and the same facts are in the properties.
/// </summary>
public sealed class TabularDataException : FormatException
{
    /// <summary>Creates the exception; the message is built from the location and the problem.</summary>
    /// <param name="source">The file, or a description such as "row" for data given in memory.</param>
    /// <param name="line">The 1-based line in the file, or null when there is none.</param>
    /// <param name="column">The column's name, or null when the problem is not in one column.</param>
    /// <param name="problem">What is wrong, in plain words.</param>
    public TabularDataException(string source, long? line, string? column, string problem)
        : base(Describe(source, line, column, problem))
    {
        Source = source;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file, or a description of the in-memory row.</summary>
    public new string Source { get; }

    /// <summary>The 1-based line of the file, or null.</summary>
    public long? Line { get; }

    /// <summary>The column's name, or null.</summary>
    public string? Column { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Describe(string source, long? line, string? column, string problem)
    {
        var where = source;
        if (line is { } number) where += $", line {number}";
        if (column is not null) where += $", column '{column}'";
        return $"{where}: {problem}";
    }
}
