using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using nietras.SeparatedValues;

namespace Vae.Core.Data;

/// <summary>
/// Rows of a CSV file with a header, read forward one at a time through Sep (which keeps only a small buffer, never the
/// file): every problem is reported as a <see cref="TabularDataException"/> naming the file, the line and the column.
/// The file must be UTF-8 (a byte order mark is skipped): an invalid byte sequence is an error naming its line and
/// column, never a silent U+FFFD.
/// </summary>
internal sealed class TabularCsvReader : IDisposable
{
    /// <summary>UTF-8 that throws on an invalid byte sequence instead of replacing it; its preamble makes the reader skip a byte order mark.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true);

    private readonly SepReader? reader;
    private readonly TextReader? text;
    private readonly int columnCount;
    private long nextLine = 2;
    private readonly string source;
    // Rows given in memory instead of a file: the values of each, in header order; null for a file.
    private readonly IEnumerator<IReadOnlyList<string?>>? memory;
    private IReadOnlyList<string?>? current;
    private long memoryRow = -1;

    private TabularCsvReader(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows, string source)
    {
        this.source = source;
        if (header.Count == 0) throw new TabularDataException(source, null, null, "there are no columns.");
        Header = header.ToArray();
        columnCount = Header.Count;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Header)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new TabularDataException(source, null, name, "a column has no name.");
            if (!seen.Add(name)) throw new TabularDataException(source, null, name, "this column is named twice.");
        }
        memory = rows.GetEnumerator();
    }

    private TabularCsvReader(SepReader reader, TextReader? text, string source)
    {
        this.reader = reader;
        this.text = text;
        this.source = source;
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

    /// <summary>
    /// The file's name as the messages give it; for rows in memory the current row, <c>rows[i]</c> (0-based), or
    /// <c>rows</c> before the first.
    /// </summary>
    public string Source => memory is null || memoryRow < 0 ? source : $"{source}[{memoryRow}]";

    /// <summary>The file's name, or <c>rows</c> for rows in memory: where the whole table is meant.</summary>
    public string TableName => source;

    /// <summary>The line for messages: the file's line, or null for rows in memory (whose <see cref="Source"/> names the row).</summary>
    public long? MessageLine => memory is null ? Line : null;

    /// <summary>The column names of the header row, in order.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>The 1-based line on which the current row starts.</summary>
    public long Line => memory is null ? reader!.Current.LineNumberFrom : memoryRow + 1;

    /// <summary>Reads rows given in memory as if they were a file: the header names the columns, each row holds their values in order.</summary>
    /// <exception cref="TabularDataException">The header is empty, or names a column twice or not at all.</exception>
    public static TabularCsvReader FromRows(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows, string source = "rows")
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        return new TabularCsvReader(header, rows, source);
    }

    /// <summary>
    /// Rows of named values (a dictionary per row) as a table: the first row's names are the columns, in its order; every
    /// later row must hold each of them (a null value is a missing value), and names only later rows hold are ignored.
    /// Numbers are written in invariant culture, so they parse back exactly.
    /// </summary>
    public static TabularCsvReader FromDictionaries(IEnumerable<IReadOnlyDictionary<string, object?>> rows, string source = "rows")
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var first = rows.GetEnumerator();
        if (!first.MoveNext()) throw new TabularDataException(source, null, null, "there are no rows: the first row names the columns.");
        var header = (first.Current ?? throw new TabularDataException($"{source}[0]", null, null, "the row is null.")).Keys.ToArray();
        IEnumerable<IReadOnlyList<string?>> Values()
        {
            long index = 0;
            foreach (var row in rows)
            {
                if (row is null) throw new TabularDataException($"{source}[{index}]", null, null, "the row is null.");
                var values = new string?[header.Length];
                for (var c = 0; c < header.Length; c++)
                {
                    if (!row.TryGetValue(header[c], out var value))
                        throw new TabularDataException($"{source}[{index}]", null, header[c], "the row has no value for this column, which the first row has.");
                    values[c] = Text(value);
                }
                index++;
                yield return values;
            }
        }
        return new TabularCsvReader(header, Values(), source);
    }

    /// <summary>Rows of numbers with their column names as a table; a NaN or infinity is refused as in a file.</summary>
    public static TabularCsvReader FromNumbers(IReadOnlyList<string> columns, IEnumerable<double[]> rows, string source = "rows")
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        return new TabularCsvReader(columns, rows.Select((row, i) =>
            (IReadOnlyList<string?>)(row ?? throw new TabularDataException($"{source}[{i}]", null, null, "the row is null."))
                .Select(v => (string?)v.ToString("R", CultureInfo.InvariantCulture)).ToArray()), source);
    }

    /// <summary>A value as the text a CSV file would hold: null as missing, numbers in invariant culture.</summary>
    internal static string? Text(object? value) => value switch
    {
        null => null,
        string text => text,
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        float number => number.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>Opens a file for reading.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TabularDataException">The file is empty or its header is unusable.</exception>
    public static TabularCsvReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The CSV file '{path}' does not exist.", path);
        var text = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: false);
        SepReader reader;
        try
        {
            reader = Options(hasHeader: true).From(text);
        }
        catch (Exception e) when (Translate(e, path, 1, null) is { } error)
        {
            text.Dispose();
            throw error;
        }
        catch
        {
            text.Dispose();
            throw;
        }
        try
        {
            return new TabularCsvReader(reader, text, path);
        }
        catch
        {
            reader.Dispose();
            text.Dispose();
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
        if (memory is not null)
        {
            if (!memory.MoveNext()) return false;
            memoryRow++;
            current = memory.Current;
            if (current.Count != columnCount)
                throw new TabularDataException(Source, null, null, $"the row has {current.Count} value(s) but there are {columnCount} column(s).");
            return true;
        }
        bool moved;
        try
        {
            moved = reader!.MoveNext();
        }
        catch (Exception e) when (Translate(e, Source, nextLine, Header) is { } error)
        {
            throw error;
        }
        if (!moved) return false;
        nextLine = reader.Current.LineNumberToExcl;
        var count = reader.Current.ColCount;
        if (count != columnCount)
            throw new TabularDataException(Source, Line, null,
                $"the row has {count} field(s) but the header has {columnCount} column(s).");
        return true;
    }

    /// <summary>The text of a field of the current row.</summary>
    public ReadOnlySpan<char> Field(int column) => memory is null ? reader!.Current[column].Span : current![column].AsSpan();

    /// <summary>The index of a named column.</summary>
    /// <exception cref="TabularDataException">The header has no such column; the message lists the columns it has.</exception>
    public int IndexOf(string column, string role)
    {
        for (var i = 0; i < Header.Count; i++)
        {
            if (string.Equals(Header[i], column, StringComparison.Ordinal)) return i;
        }
        throw new TabularDataException(source, memory is null ? 1 : null, column,
            $"the {(memory is null ? "header" : "data")} has no {role} column of that name; its columns are {string.Join(", ", Header.Select(h => $"'{h}'"))}.");
    }

    public void Dispose()
    {
        reader?.Dispose();
        text?.Dispose();
        memory?.Dispose();
    }

    /// <summary>
    /// The library's message for a failure inside Sep or the decoder, which names neither the file nor the place; null
    /// for an exception that is not such a failure.
    /// </summary>
    /// <param name="e">What Sep or the decoder threw.</param>
    /// <param name="path">The file.</param>
    /// <param name="line">The line the failing row starts on, as far as known.</param>
    /// <param name="header">The column names, to name the column of an invalid byte; null while reading the header.</param>
    private static TabularDataException? Translate(Exception e, string path, long line, IReadOnlyList<string>? header)
    {
        if (e is DecoderFallbackException)
        {
            var place = FindInvalidUtf8(path);
            if (place is not { } p) return new TabularDataException(path, null, null, $"the file is not valid UTF-8 ({e.Message}).");
            if (header is null && p.Line > 1)
            {
                try
                {
                    header = SplitLine(p.Header, path);
                }
                catch (TabularDataException)
                {
                }
            }
            var column = header is not null && p.Line > 1 && p.Field < header.Count ? header[p.Field] : null;
            return new TabularDataException(path, p.Line, column,
                $"the byte {p.Bytes} at character {p.Character} of the line starts no valid UTF-8 sequence; the file must be UTF-8 (save it as UTF-8, or convert it, e.g. with iconv).");
        }
        if (e.GetType().FullName == "nietras.SeparatedValues.SepException" || e.Source == "Sep")
        {
            if (e.Message.Contains("maximum supported length", StringComparison.Ordinal))
            {
                var limit = System.Text.RegularExpressions.Regex.Match(e.Message, "[0-9]+").Value;
                return new TabularDataException(path, line, null,
                    $"the row starting here is longer than {limit} characters, the most the CSV reader holds; a line that long is no table row (a missing closing quote makes the rest of the file one field).");
            }
            var duplicate = System.Text.RegularExpressions.Regex.Match(e.Message, "^Col name '(.*)' found [0-9]+ times");
            if (duplicate.Success)
                return new TabularDataException(path, 1, duplicate.Groups[1].Value, "the header names this column more than once; every column needs its own name.");
            return new TabularDataException(path, line, null, $"the CSV reader failed: {e.Message}");
        }
        return null;
    }

    /// <summary>The first invalid UTF-8 sequence of a file: its line, 1-based character in the line, 0-based field, first byte, and the header line.</summary>
    internal static (long Line, long Character, int Field, string Bytes, string Header)? FindInvalidUtf8(string path)
    {
        var headerText = new StringBuilder();
        using var stream = File.OpenRead(path);
        var bytes = new byte[1 << 16];
        var chars = new char[1 << 16];
        long line = 1, character = 1;
        int field = 0, kept = 0;
        var quoted = false;
        var start = true;
        while (true)
        {
            var read = stream.Read(bytes, kept, bytes.Length - kept);
            var total = kept + read;
            var final = read == 0;
            var offset = 0;
            if (start && total >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) offset = 3;
            start = false;
            while (true)
            {
                var status = Utf8.ToUtf16(bytes.AsSpan(offset, total - offset), chars, out var used, out var written, replaceInvalidSequences: false, isFinalBlock: final);
                foreach (var c in chars.AsSpan(0, written))
                {
                    if (line == 1 && c != '\n' && c != '\r' && headerText.Length < 1 << 20) headerText.Append(c);
                    if (c == '"') quoted = !quoted;
                    if (c == '\n' && !quoted)
                    {
                        line++;
                        character = 1;
                        field = 0;
                        continue;
                    }
                    if (c == '\n') line++;
                    if (c == ',' && !quoted) field++;
                    character++;
                }
                offset += used;
                if (status == OperationStatus.InvalidData)
                {
                    return (line, character, field, $"0x{bytes[offset]:X2}", headerText.ToString());
                }
                if (status != OperationStatus.DestinationTooSmall) break;
            }
            if (final) return null;
            kept = total - offset;
            bytes.AsSpan(offset, kept).CopyTo(bytes);
        }
    }

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
