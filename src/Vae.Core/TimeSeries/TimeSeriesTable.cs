using System.Globalization;

namespace Vae.Core.TimeSeries;

/// <summary>A series read from a CSV file: a timestamp column and one or more value columns, one row per line.</summary>
public sealed class TimeSeriesTable
{
    private static readonly string[] TimestampFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF", "yyyy-MM-dd"];

    /// <summary>Creates a table from rows in memory.</summary>
    /// <param name="timestamps">The rows' timestamps.</param>
    /// <param name="columnNames">The value columns' names.</param>
    /// <param name="rows">One array of values (NaN for missing) per timestamp, each as long as <paramref name="columnNames"/>.</param>
    /// <param name="source">What to call the table in error messages.</param>
    /// <exception cref="ArgumentException">The counts do not match.</exception>
    public TimeSeriesTable(IReadOnlyList<DateTime> timestamps, IReadOnlyList<string> columnNames, IReadOnlyList<double[]> rows, string source = "the table")
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(columnNames);
        ArgumentNullException.ThrowIfNull(rows);
        if (columnNames.Count == 0) throw new ArgumentException($"{source}: no value columns.", nameof(columnNames));
        if (rows.Count != timestamps.Count) throw new ArgumentException($"{source}: {rows.Count} rows for {timestamps.Count} timestamps.", nameof(rows));
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null || rows[i].Length != columnNames.Count)
                throw new ArgumentException($"{source}: row {i + 1} has {rows[i]?.Length ?? 0} values for {columnNames.Count} columns.", nameof(rows));
        }
        Timestamps = timestamps.ToArray();
        ColumnNames = columnNames.ToArray();
        Rows = rows.ToArray();
        Source = source;
    }

    /// <summary>The rows' timestamps.</summary>
    /// <value>In file order.</value>
    public IReadOnlyList<DateTime> Timestamps { get; }

    /// <summary>The value columns' names.</summary>
    /// <value>In the order the rows hold them.</value>
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>The rows' values.</summary>
    /// <value>One array per row, NaN where a cell is empty or NaN.</value>
    public IReadOnlyList<double[]> Rows { get; }

    /// <summary>The table's name in error messages.</summary>
    /// <value>The file's path for <see cref="Read"/>.</value>
    public string Source { get; }

    /// <summary>The number of rows.</summary>
    /// <value>The length of <see cref="Timestamps"/>.</value>
    public int Count => Timestamps.Count;

    /// <summary>
    /// Reads a CSV file with a header line. Timestamps are <c>yyyy-MM-dd HH:mm:ss</c> (NAB's), ISO 8601, or anything
    /// the invariant culture parses; an empty cell, <c>NaN</c> or <c>nan</c> is a missing value.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="timeColumn">The timestamp column's name.</param>
    /// <param name="valueColumns">The value columns to read; null or empty for every column but the timestamp.</param>
    /// <returns>The table.</returns>
    /// <exception cref="FormatException">A column is missing, or a cell is not a timestamp or a number; the message names the file, line and column.</exception>
    public static TimeSeriesTable Read(string path, string timeColumn = "timestamp", IReadOnlyList<string>? valueColumns = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(timeColumn);
        using var reader = new StreamReader(path);
        var headerLine = reader.ReadLine() ?? throw new FormatException($"{path}: empty file.");
        var header = headerLine.Split(',').Select(h => h.Trim().Trim('"')).ToList();
        var timeIndex = header.IndexOf(timeColumn);
        if (timeIndex < 0) throw new FormatException($"{path}: no '{timeColumn}' column in the header '{headerLine}'.");
        var names = valueColumns is { Count: > 0 } ? valueColumns.ToArray() : header.Where((_, i) => i != timeIndex).ToArray();
        if (names.Length == 0) throw new FormatException($"{path}: no value column besides '{timeColumn}'.");
        var indices = names.Select(n => header.IndexOf(n) is var i and >= 0 ? i : throw new FormatException($"{path}: no '{n}' column in the header '{headerLine}'.")).ToArray();
        var timestamps = new List<DateTime>();
        var rows = new List<double[]>();
        var line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var fields = text.Split(',');
            if (fields.Length != header.Count) throw new FormatException($"{path} line {line}: {fields.Length} fields for {header.Count} columns.");
            timestamps.Add(ParseTimestamp(fields[timeIndex], path, line, timeColumn));
            var values = new double[indices.Length];
            for (var c = 0; c < indices.Length; c++) values[c] = ParseValue(fields[indices[c]], path, line, names[c]);
            rows.Add(values);
        }
        return new TimeSeriesTable(timestamps, names, rows, path);
    }

    private static DateTime ParseTimestamp(string text, string path, int line, string column)
    {
        var trimmed = text.Trim().Trim('"');
        if (DateTime.TryParseExact(trimmed, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var exact)) return exact;
        if (DateTime.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed)) return parsed;
        throw new FormatException($"{path} line {line}, column '{column}': '{text}' is not a timestamp.");
    }

    private static double ParseValue(string text, string path, int line, string column)
    {
        var trimmed = text.Trim().Trim('"');
        if (trimmed.Length == 0 || trimmed.Equals("nan", StringComparison.OrdinalIgnoreCase)) return double.NaN;
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{path} line {line}, column '{column}': '{text}' is not a number.");
    }
}
