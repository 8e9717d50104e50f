using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vae.Core.Data;

/// <summary>
/// Turns raw rows of a table into the model's features, exactly as learned from the training rows: the input columns
/// in order, each numeric one standardised with its training mean and standard deviation (a constant column centred
/// only), each categorical one one-hot encoded over its training vocabulary, and what to do with a missing value or an
/// unknown category. It travels inside the model file (<see cref="TabularAnomalyModel.Save(string)"/>), so a loaded model
/// scores a raw row without the caller knowing the scaling.
/// </summary>
/// <example>
/// <code>
/// var preprocessor = TabularPreprocessor.Fit("train.csv", new TabularOptions { LabelColumn = "label" });
/// float[] features = preprocessor.Transform(new Dictionary&lt;string, string?&gt; { ["age"] = "41", ["colour"] = "red" });
/// </code>
/// </example>
public sealed class TabularPreprocessor
{
    /// <summary>The version of the JSON that <see cref="ToJson"/> writes.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly TabularColumn[] columns;
    private readonly int[] offsets;
    private readonly Dictionary<string, int>[] vocabularies;
    private readonly Dictionary<string, int> columnIndex;

    /// <summary>Creates a preprocessor from columns already learned (for instance read back from a file).</summary>
    /// <param name="columns">The input columns in order; at least one.</param>
    /// <param name="labelColumn">The label column of the training file, or null.</param>
    /// <param name="missingValues">What to do with empty fields and unknown categories.</param>
    /// <exception cref="ArgumentException">No columns, a duplicate name, a non-finite or negative statistic, or a categorical column without categories.</exception>
    public TabularPreprocessor(IReadOnlyList<TabularColumn> columns, string? labelColumn = null, TabularMissingValues missingValues = TabularMissingValues.Error)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("A table needs at least one input column.", nameof(columns));
        if (!Enum.IsDefined(missingValues)) throw new ArgumentException($"Unknown {nameof(TabularMissingValues)} {(int)missingValues}.", nameof(missingValues));
        this.columns = columns.ToArray();
        offsets = new int[this.columns.Length];
        vocabularies = new Dictionary<string, int>[this.columns.Length];
        columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var offset = 0;
        for (var i = 0; i < this.columns.Length; i++)
        {
            var column = this.columns[i] ?? throw new ArgumentException($"columns[{i}] is null.", nameof(columns));
            Check(column, i);
            if (!columnIndex.TryAdd(column.Name, i)) throw new ArgumentException($"The column '{column.Name}' is named twice.", nameof(columns));
            if (column.Name == labelColumn) throw new ArgumentException($"The label column '{labelColumn}' cannot also be an input column.", nameof(labelColumn));
            offsets[i] = offset;
            vocabularies[i] = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var c = 0; c < column.Categories.Count; c++)
            {
                if (!vocabularies[i].TryAdd(column.Categories[c], c))
                    throw new ArgumentException($"The column '{column.Name}' lists the category '{column.Categories[c]}' twice.", nameof(columns));
            }
            offset += column.FeatureCount;
        }
        FeatureCount = offset;
        LabelColumn = labelColumn;
        MissingValues = missingValues;
    }

    /// <summary>The input columns in the order of the features.</summary>
    public IReadOnlyList<TabularColumn> Columns => columns;

    /// <summary>The training file's label column, kept aside from the features; null if there was none.</summary>
    public string? LabelColumn { get; }

    /// <summary>What happens to an empty field or an unknown category.</summary>
    public TabularMissingValues MissingValues { get; }

    /// <summary>The number of features: one per numeric column plus one per category.</summary>
    public int FeatureCount { get; }

    /// <summary>The name of each feature: the column's name, or <c>column=category</c> for a one-hot feature.</summary>
    public IReadOnlyList<string> FeatureNames =>
        columns.SelectMany(c => c.Kind == TabularColumnKind.Numeric ? [c.Name] : c.Categories.Select(category => $"{c.Name}={category}")).ToArray();

    /// <summary>
    /// Learns the preprocessing from a CSV file in one pass, holding one row at a time: the input columns are the
    /// header's columns except the label and the ignored ones, in header order.
    /// </summary>
    /// <param name="path">A CSV file with a header row, comma-separated, numbers in invariant culture (a dot for decimals).</param>
    /// <param name="options">The label, ignored and categorical columns, missing-value handling and which rows to learn from.</param>
    /// <returns>The fitted preprocessor.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TabularDataException">
    /// The file is empty or has no rows to learn from, a named column is missing, a row is ragged, a numeric column
    /// holds text, NaN, infinity or a number beyond the float32 range, a categorical column has more than
    /// <see cref="TabularOptions.MaxCategories"/> distinct values, the file is not valid UTF-8, or a value is missing
    /// while imputation is off; the message names file, line and column.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="TabularOptions.MaxCategories"/> is below 1.</exception>
    public static TabularPreprocessor Fit(string path, TabularOptions? options = null)
    {
        using var reader = TabularCsvReader.Open(path);
        return Fit(reader, options);
    }

    /// <summary>
    /// Learns the preprocessing from rows in memory, as <see cref="Fit(string, TabularOptions?)"/> learns it from a file:
    /// the first row's names are the columns (in its order); every row must hold each of them, a null value being a
    /// missing one; values are read as a CSV file's text would be (numbers in invariant culture, other values as text).
    /// </summary>
    /// <param name="rows">The rows, each column name to value (a string, a number, a bool, or null for missing).</param>
    /// <param name="options">The label, ignored and categorical columns, missing-value handling and which rows to learn from.</param>
    /// <returns>The fitted preprocessor.</returns>
    /// <exception cref="TabularDataException">As for a file, with the row as <c>rows[i]</c> (0-based) in place of the line, and the column.</exception>
    public static TabularPreprocessor Fit(IEnumerable<IReadOnlyDictionary<string, object?>> rows, TabularOptions? options = null)
    {
        using var reader = TabularCsvReader.FromDictionaries(rows);
        return Fit(reader, options);
    }

    /// <summary>Learns the preprocessing from rows of numbers in memory with their column names (see <see cref="Fit(IEnumerable{IReadOnlyDictionary{string, object}}, TabularOptions?)"/>).</summary>
    /// <param name="columns">The name of each column, in the rows' order.</param>
    /// <param name="rows">The rows, one value per column.</param>
    /// <param name="options">The label, ignored and categorical columns, missing-value handling and which rows to learn from.</param>
    /// <returns>The fitted preprocessor.</returns>
    /// <exception cref="TabularDataException">A row has another length, a value is NaN or infinite, or a named column is missing; the message names <c>rows[i]</c> and the column.</exception>
    public static TabularPreprocessor Fit(IReadOnlyList<string> columns, IEnumerable<double[]> rows, TabularOptions? options = null)
    {
        using var reader = TabularCsvReader.FromNumbers(columns, rows);
        return Fit(reader, options);
    }

    internal static TabularPreprocessor Fit(TabularCsvReader reader, TabularOptions? options)
    {
        options ??= new TabularOptions();
        options.Validate();
        var label = options.LabelColumn is { } name ? reader.IndexOf(name, "label") : -1;
        var ignored = options.IgnoreColumns.Select(c => reader.IndexOf(c, "ignored")).ToHashSet();
        var categorical = options.CategoricalColumns.Select(c => reader.IndexOf(c, "categorical")).ToHashSet();
        var inputs = Enumerable.Range(0, reader.Header.Count).Where(i => i != label && !ignored.Contains(i)).ToArray();
        if (inputs.Length == 0) throw new TabularDataException(reader.TableName, reader.MessageLine is null ? null : 1, null, "no column is left as a feature once the label and ignored columns are set aside.");
        var statistics = inputs.Select(i => new ColumnStatistics(reader.Header[i]) { Kind = categorical.Contains(i) ? TabularColumnKind.Categorical : null }).ToArray();

        long rowIndex = -1, used = 0;
        while (reader.Read())
        {
            rowIndex++;
            if (options.RowFilter is { } filter && !filter(rowIndex, label >= 0 ? reader.Field(label).ToString() : null)) continue;
            used++;
            for (var c = 0; c < inputs.Length; c++)
            {
                var text = reader.Field(inputs[c]).Trim();
                var column = statistics[c];
                if (text.IsEmpty)
                {
                    if (options.MissingValues == TabularMissingValues.Error) throw MissingValue(reader.Source, reader.MessageLine, column.Name);
                    continue;
                }
                column.Kind ??= TryParse(text, out _) ? TabularColumnKind.Numeric : TabularColumnKind.Categorical;
                if (column.Kind == TabularColumnKind.Numeric)
                {
                    if (!column.AddNumber(ParseNumber(text, reader.Source, reader.MessageLine, column.Name)))
                        throw new TabularDataException(reader.Source, reader.MessageLine, column.Name,
                            $"'{text.ToString()}' makes the column's sum of squared deviations overflow a double; rescale the column (other units) or ignore it.");
                }
                else
                {
                    column.AddCategory(text.ToString());
                    if (column.CategoryCount > options.MaxCategories)
                        throw new TabularDataException(reader.Source, reader.MessageLine, column.Name,
                            $"the categorical column has more than {options.MaxCategories} distinct values ({column.CategoryCount} so far, the latest '{text.ToString()}'), " +
                            $"each of which would become a feature; an identifier or free text is no category: ignore the column ({nameof(TabularOptions)}.{nameof(TabularOptions.IgnoreColumns)}), " +
                            $"or raise {nameof(TabularOptions)}.{nameof(TabularOptions.MaxCategories)} if it really has that many categories.");
                }
            }
        }
        if (rowIndex < 0) throw new TabularDataException(reader.TableName, null, null, "the file has a header but no data rows.");
        if (used == 0) throw new TabularDataException(reader.TableName, null, null, $"none of the {rowIndex + 1} data rows passes the row filter.");
        return new TabularPreprocessor(statistics.Select(s => s.ToColumn(reader.TableName)).ToArray(), options.LabelColumn, options.MissingValues);
    }

    /// <summary>The features of a row given by column name; other names (a label, an identifier) are ignored.</summary>
    /// <exception cref="TabularDataException">An input column is absent, or a value cannot be encoded.</exception>
    public float[] Transform(IReadOnlyDictionary<string, string?> row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var features = new float[FeatureCount];
        for (var i = 0; i < columns.Length; i++)
        {
            if (!row.TryGetValue(columns[i].Name, out var value))
                throw new TabularDataException("row", null, columns[i].Name, "the row has no value for this input column.");
            Encode(i, value.AsSpan(), features, "row", null);
        }
        return features;
    }

    /// <summary>The features of a row given as raw values in the order of <see cref="Columns"/>; null or empty is a missing value.</summary>
    /// <exception cref="TabularDataException">The number of values differs from the number of columns, or a value cannot be encoded.</exception>
    public float[] Transform(IReadOnlyList<string?> values) => Transform(values, "row");

    /// <summary>The features of one CSV line holding the values of <see cref="Columns"/> in order (no header, quotes as in a file).</summary>
    /// <exception cref="TabularDataException">The line is ragged or a value cannot be encoded.</exception>
    public float[] TransformCsvLine(string line) => Transform(TabularCsvReader.SplitLine(line, "CSV line"), "CSV line");

    /// <summary>Writes the preprocessing as JSON, the form stored in a model file; doubles round-trip exactly.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Document(FormatVersion, LabelColumn, MissingValues, columns.Select(ColumnDocument.Of).ToArray()), Json);

    /// <summary>Reads the preprocessing written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not such JSON, is of a later version, or describes impossible columns.</exception>
    public static TabularPreprocessor FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var document = JsonSerializer.Deserialize<Document>(json, Json) ?? throw new InvalidDataException("The tabular preprocessing is JSON null.");
            if (document.Format != FormatVersion)
                throw new InvalidDataException($"The tabular preprocessing has format {document.Format}; this library reads format {FormatVersion}.");
            return new TabularPreprocessor(document.Columns.Select(c => c.ToColumn()).ToArray(), document.LabelColumn, document.MissingValues);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NullReferenceException)
        {
            throw new InvalidDataException($"The tabular preprocessing cannot be read: {e.Message}", e);
        }
    }

    /// <summary>For each input column, its index in a file's header; names the file and the column when one is missing.</summary>
    internal int[] Locate(TabularCsvReader reader) => columns.Select(c => reader.IndexOf(c.Name, "input")).ToArray();

    /// <summary>Encodes one field into the features of its column (a slice of <paramref name="features"/> at the column's offset).</summary>
    internal void Encode(int column, ReadOnlySpan<char> text, Span<float> features, string source, long? line)
    {
        var info = columns[column];
        text = text.Trim();
        var offset = offsets[column];
        if (info.Kind == TabularColumnKind.Numeric)
        {
            double value;
            if (text.IsEmpty)
            {
                if (MissingValues == TabularMissingValues.Error) throw MissingValue(source, line, info.Name);
                value = info.Mean;
            }
            else value = ParseNumber(text, source, line, info.Name);
            var centred = value - info.Mean;
            var feature = (float)(info.IsScaled ? centred / info.StandardDeviation : centred);
            if (!float.IsFinite(feature))
                throw new TabularDataException(source, line, info.Name,
                    $"'{text.ToString()}' standardises to {(info.IsScaled ? centred / info.StandardDeviation : centred):G4} (training mean {info.Mean:G6}, standard deviation {info.StandardDeviation:G6}), beyond the float32 range of the features.");
            features[offset] = feature;
            return;
        }

        features.Slice(offset, info.Categories.Count).Clear();
        if (text.IsEmpty && MissingValues == TabularMissingValues.Error) throw MissingValue(source, line, info.Name);
        var category = text.ToString();
        if (!vocabularies[column].TryGetValue(category, out var index))
        {
            if (MissingValues == TabularMissingValues.Error && !text.IsEmpty)
            {
                var known = info.Categories.Count <= 20 ? string.Join(", ", info.Categories.Select(c => $"'{c}'")) : $"{info.Categories.Count} categories";
                throw new TabularDataException(source, line, info.Name,
                    $"'{category}' is a category the training rows never had (they had {known}); turn imputation on to use the most frequent one.");
            }
            index = vocabularies[column][info.MostFrequent!];
        }
        features[offset + index] = 1f;
    }

    private float[] Transform(IReadOnlyList<string?> values, string source)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != columns.Length)
            throw new TabularDataException(source, null, null,
                $"the row has {values.Count} value(s) but the model has {columns.Length} input column(s): {string.Join(", ", columns.Select(c => c.Name))}.");
        var features = new float[FeatureCount];
        for (var i = 0; i < columns.Length; i++) Encode(i, values[i].AsSpan(), features, source, null);
        return features;
    }

    private static bool TryParse(ReadOnlySpan<char> text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static double ParseNumber(ReadOnlySpan<char> text, string source, long? line, string column)
    {
        if (!TryParse(text, out var value))
            throw new TabularDataException(source, line, column, $"'{text.ToString()}' is not a number, but the column is numeric.");
        if (!double.IsFinite(value))
            throw new TabularDataException(source, line, column, $"'{text.ToString()}' is not a finite number: NaN and infinity cannot be standardised.");
        if (Math.Abs(value) > float.MaxValue)
            throw new TabularDataException(source, line, column,
                $"'{text.ToString()}' is beyond the float32 range (about ±3.4e38) the model computes in; rescale the column (other units) or ignore it.");
        return value;
    }

    private static TabularDataException MissingValue(string source, long? line, string column) =>
        new(source, line, column, "the value is missing; fill it in, or turn imputation on (TabularMissingValues.Impute).");

    private static void Check(TabularColumn column, int index)
    {
        if (string.IsNullOrWhiteSpace(column.Name)) throw new ArgumentException($"columns[{index}] has no name.", "columns");
        if (!Enum.IsDefined(column.Kind)) throw new ArgumentException($"The column '{column.Name}' has an unknown kind {(int)column.Kind}.", "columns");
        ArgumentNullException.ThrowIfNull(column.Categories, "columns");
        if (column.Kind == TabularColumnKind.Numeric)
        {
            if (!double.IsFinite(column.Mean) || !double.IsFinite(column.StandardDeviation) || column.StandardDeviation < 0)
                throw new ArgumentException(
                    $"The column '{column.Name}' needs a finite mean and a finite, non-negative standard deviation, but has {column.Mean} and {column.StandardDeviation}.", "columns");
        }
        else if (column.Categories.Count == 0 || column.MostFrequent is null || !column.Categories.Contains(column.MostFrequent))
        {
            throw new ArgumentException($"The categorical column '{column.Name}' needs at least one category, and its most frequent one among them.", "columns");
        }
    }

    private sealed record Document(int Format, string? LabelColumn, TabularMissingValues MissingValues, ColumnDocument[] Columns);

    private sealed record ColumnDocument(string Name, TabularColumnKind Kind, double Mean, double StandardDeviation, string[] Categories, string? MostFrequent)
    {
        public static ColumnDocument Of(TabularColumn c) => new(c.Name, c.Kind, c.Mean, c.StandardDeviation, c.Categories.ToArray(), c.MostFrequent);

        public TabularColumn ToColumn() => new(Name, Kind, Mean, StandardDeviation, Categories, MostFrequent);
    }
}
