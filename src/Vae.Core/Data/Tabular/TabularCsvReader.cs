using System.Globalization;
using nietras.SeparatedValues;

namespace Vae.Core.Data;

/// <summary>
/// Rows of a CSV file with a header, read forward one at a time through Sep (which keeps only a small buffer, never the
/// file): every problem is reported as a <see cref="TabularDataException"/> naming the file, the line and the column.
/// </summary>
internal sealed class TabularCsvReader : IDisposable
{
    private readonly SepReader reader;
    private readonly int columnCount;

    private TabularCsvReader(SepReader reader, string source)
    {
        this.reader = reader;
        Source = source;
        if (reader.Header.IsEmpty) throw new TabularDataException(source, 1, null, "the file is empty: it needs a header row naming the columns.");
        Header = reader.Header.ColNames.ToArray();
        columnCount = Header.Count;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Header)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new TabularDataException(source, 1, name, "the header has a column without a name.");
            if (!seen.Add(name)) throw new TabularDataException(source, 1, name, "the header names this column twice.");
        }
    }

    /// <summary>The file's name as the messages give it.</summary>
    public string Source { get; }

    /// <summary>The column names of the header row, in order.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>The 1-based line on which the current row starts.</summary>
    public long Line => reader.Current.LineNumberFrom;

    /// <summary>Opens a file for reading.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TabularDataException">The file is empty or its header is unusable.</exception>
    public static TabularCsvReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The CSV file '{path}' does not exist.", path);
        var reader = Options(hasHeader: true).FromFile(path);
        try
        {
            return new TabularCsvReader(reader, path);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>The fields of one CSV line without a header, unquoted as in a file.</summary>
    public static string[] SplitLine(string line, string source)
    {
        ArgumentNullException.ThrowIfNull(line);
        using var reader = Options(hasHeader: false).FromText(line);
        if (!reader.MoveNext()) throw new TabularDataException(source, 1, null, "the line is empty.");
        var row = reader.Current;
        var fields = new string[row.ColCount];
        for (var i = 0; i < fields.Length; i++) fields[i] = row[i].ToString();
        if (reader.MoveNext()) throw new TabularDataException(source, null, null, "the text holds more than one line.");
        return fields;
    }

    /// <summary>Moves to the next row; false at the end of the file.</summary>
    /// <exception cref="TabularDataException">The row has a different number of fields than the header.</exception>
    public bool Read()
    {
        if (!reader.MoveNext()) return false;
        var count = reader.Current.ColCount;
        if (count != columnCount)
            throw new TabularDataException(Source, Line, null,
                $"the row has {count} field(s) but the header has {columnCount} column(s).");
        return true;
    }

    /// <summary>The text of a field of the current row.</summary>
    public ReadOnlySpan<char> Field(int column) => reader.Current[column].Span;

    /// <summary>The index of a named column.</summary>
    /// <exception cref="TabularDataException">The header has no such column; the message lists the columns it has.</exception>
    public int IndexOf(string column, string role)
    {
        for (var i = 0; i < Header.Count; i++)
        {
            if (string.Equals(Header[i], column, StringComparison.Ordinal)) return i;
        }
        throw new TabularDataException(Source, 1, column,
            $"the header has no {role} column of that name; its columns are {string.Join(", ", Header.Select(h => $"'{h}'"))}.");
    }

    public void Dispose() => reader.Dispose();

    private static SepReaderOptions Options(bool hasHeader) =>
        // The field count is checked here, to report it with the file and the line.
        Sep.New(',').Reader(o => o with
        {
            HasHeader = hasHeader,
            Unescape = true,
            DisableColCountCheck = true,
            CultureInfo = CultureInfo.InvariantCulture,
        });
}
