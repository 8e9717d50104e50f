using static TorchSharp.torch;

namespace Vae.Core.Data;

/// <summary>
/// The rows of a CSV file in memory as the model sees them: the features <c>[N, FeatureCount]</c> (float32, already
/// standardised and one-hot encoded by a <see cref="TabularPreprocessor"/>), the label of each row and the line it
/// came from. For a file larger than memory, train from a <see cref="TabularBatchStream"/> instead.
/// </summary>
/// <example>
/// <code>
/// var options = new TabularOptions { LabelColumn = "label", RowFilter = (_, label) => label == "benign" };
/// var preprocessor = TabularPreprocessor.Fit("train.csv", options);
/// using var train = TabularDataset.Load("train.csv", preprocessor, options.RowFilter);
/// </code>
/// </example>
public sealed class TabularDataset : IDisposable
{
    private TabularDataset(Tensor features, string?[] labels, long[] lines, long[] rowIndices, TabularPreprocessor preprocessor)
    {
        Features = features;
        Labels = labels;
        Lines = lines;
        RowIndices = rowIndices;
        Preprocessor = preprocessor;
    }

    /// <summary>The features of every row, <c>[Count, Preprocessor.FeatureCount]</c>, float32 on the CPU; owned by the data set.</summary>
    public Tensor Features { get; }

    /// <summary>Each row's value in the preprocessor's label column, or null when the file has none.</summary>
    public IReadOnlyList<string?> Labels { get; }

    /// <summary>The 1-based line of the file each row starts on, for reporting.</summary>
    public IReadOnlyList<long> Lines { get; }

    /// <summary>Each row's position among the data rows of the file, from 0 (rows a filter skipped leave gaps).</summary>
    public IReadOnlyList<long> RowIndices { get; }

    /// <summary>The encoding the features were made with.</summary>
    public TabularPreprocessor Preprocessor { get; }

    /// <summary>The number of rows.</summary>
    public int Count => Lines.Count;

    /// <summary>Reads a file through an existing preprocessing (the training file's, or a loaded model's).</summary>
    /// <param name="path">A CSV file with a header holding at least the preprocessor's input columns (and its label column, if it has one and the file is to carry labels).</param>
    /// <param name="preprocessor">The encoding to apply.</param>
    /// <param name="rowFilter">The rows to keep; null for all.</param>
    /// <returns>The data set; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TabularDataException">The file is empty, lacks a column, or has a row that cannot be encoded; the message names file, line and column.</exception>
    public static TabularDataset Load(string path, TabularPreprocessor preprocessor, TabularRowFilter? rowFilter = null) =>
        Load(path, preprocessor, rowFilter, blockRows: Math.Max(1, (1 << 20) / preprocessor.FeatureCount));

    /// <summary>As the public overload, gathering rows in blocks of <paramref name="blockRows"/> (small in tests, to cross block boundaries).</summary>
    internal static TabularDataset Load(string path, TabularPreprocessor preprocessor, TabularRowFilter? rowFilter, int blockRows)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        using var reader = TabularCsvReader.Open(path);
        return Load(reader, preprocessor, rowFilter, blockRows);
    }

    /// <summary>
    /// Reads rows in memory through an existing preprocessing, as <see cref="Load(string, TabularPreprocessor, TabularRowFilter?)"/>
    /// reads a file (see <see cref="TabularPreprocessor.Fit(IEnumerable{IReadOnlyDictionary{string, object}}, TabularOptions?)"/>
    /// for how values are read). <see cref="Lines"/> holds each row's 1-based position.
    /// </summary>
    /// <param name="rows">The rows, each column name to value; the first row's names are the columns.</param>
    /// <param name="preprocessor">The encoding to apply.</param>
    /// <param name="rowFilter">The rows to keep; null for all.</param>
    /// <returns>The data set; the caller disposes it.</returns>
    /// <exception cref="TabularDataException">A column is missing or a value cannot be encoded; the message names <c>rows[i]</c> (0-based) and the column.</exception>
    public static TabularDataset Load(IEnumerable<IReadOnlyDictionary<string, object?>> rows, TabularPreprocessor preprocessor, TabularRowFilter? rowFilter = null)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        using var reader = TabularCsvReader.FromDictionaries(rows);
        return Load(reader, preprocessor, rowFilter, Math.Max(1, (1 << 20) / preprocessor.FeatureCount));
    }

    /// <summary>Learns the preprocessing from rows in memory that pass <see cref="TabularOptions.RowFilter"/> and reads those rows (the rows are enumerated twice).</summary>
    /// <param name="rows">The rows, each column name to value; the first row's names are the columns.</param>
    /// <param name="options">The label, ignored and categorical columns, missing-value handling and which rows to keep.</param>
    /// <returns>The data set; the caller disposes it.</returns>
    /// <exception cref="TabularDataException">See <see cref="TabularPreprocessor.Fit(IEnumerable{IReadOnlyDictionary{string, object}}, TabularOptions?)"/>.</exception>
    public static TabularDataset Load(IEnumerable<IReadOnlyDictionary<string, object?>> rows, TabularOptions? options = null)
    {
        options ??= new TabularOptions();
        return Load(rows, TabularPreprocessor.Fit(rows, options), options.RowFilter);
    }

    /// <summary>Reads rows of numbers with their column names through an existing preprocessing (see <see cref="Load(IEnumerable{IReadOnlyDictionary{string, object}}, TabularPreprocessor, TabularRowFilter?)"/>).</summary>
    /// <param name="columns">The name of each column, in the rows' order.</param>
    /// <param name="rows">The rows, one value per column.</param>
    /// <param name="preprocessor">The encoding to apply.</param>
    /// <param name="rowFilter">The rows to keep; null for all.</param>
    /// <returns>The data set; the caller disposes it.</returns>
    /// <exception cref="TabularDataException">A row has another length, a column is missing, or a value cannot be encoded; the message names <c>rows[i]</c> and the column.</exception>
    public static TabularDataset Load(IReadOnlyList<string> columns, IEnumerable<double[]> rows, TabularPreprocessor preprocessor, TabularRowFilter? rowFilter = null)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        using var reader = TabularCsvReader.FromNumbers(columns, rows);
        return Load(reader, preprocessor, rowFilter, Math.Max(1, (1 << 20) / preprocessor.FeatureCount));
    }

    /// <summary>Learns the preprocessing from rows of numbers and reads the rows that pass <see cref="TabularOptions.RowFilter"/> (the rows are enumerated twice).</summary>
    /// <param name="columns">The name of each column, in the rows' order.</param>
    /// <param name="rows">The rows, one value per column.</param>
    /// <param name="options">The label, ignored and categorical columns, missing-value handling and which rows to keep.</param>
    /// <returns>The data set; the caller disposes it.</returns>
    /// <exception cref="TabularDataException">See <see cref="TabularPreprocessor.Fit(IReadOnlyList{string}, IEnumerable{double[]}, TabularOptions?)"/>.</exception>
    public static TabularDataset Load(IReadOnlyList<string> columns, IEnumerable<double[]> rows, TabularOptions? options = null)
    {
        options ??= new TabularOptions();
        return Load(columns, rows, TabularPreprocessor.Fit(columns, rows, options), options.RowFilter);
    }

    private static TabularDataset Load(TabularCsvReader reader, TabularPreprocessor preprocessor, TabularRowFilter? rowFilter, int blockRows)
    {
        var inputs = preprocessor.Locate(reader);
        var label = preprocessor.LabelColumn is { } name && reader.Header.Contains(name) ? reader.IndexOf(name, "label") : -1;
        if (rowFilter is not null && preprocessor.LabelColumn is not null && label < 0) reader.IndexOf(preprocessor.LabelColumn, "label");
        var width = preprocessor.FeatureCount;
        // Rows gather in blocks and are copied into the tensor once its size is known: at most the block being filled
        // is held twice, where one growing list would briefly hold the whole table three times.
        var blocks = new List<float[]>();
        var block = new float[blockRows * width];
        var inBlock = 0;
        var labels = new List<string?>();
        var lines = new List<long>();
        var rows = new List<long>();
        long rowIndex = -1;
        while (reader.Read())
        {
            rowIndex++;
            var labelValue = label >= 0 ? reader.Field(label).ToString() : null;
            if (rowFilter is not null && !rowFilter(rowIndex, labelValue)) continue;
            var row = block.AsSpan(inBlock * width, width);
            for (var c = 0; c < inputs.Length; c++) preprocessor.Encode(c, reader.Field(inputs[c]), row, reader.Source, reader.MessageLine);
            labels.Add(labelValue);
            lines.Add(reader.Line);
            rows.Add(rowIndex);
            if (++inBlock == blockRows)
            {
                blocks.Add(block);
                block = new float[blockRows * width];
                inBlock = 0;
            }
        }
        if (rowIndex < 0) throw new TabularDataException(reader.TableName, null, null, "the file has a header but no data rows.");
        var features = empty([lines.Count, width], ScalarType.Float32);
        long start = 0;
        blocks.Add(block);
        for (var b = 0; b < blocks.Count; b++)
        {
            var count = b < blocks.Count - 1 ? blockRows : inBlock;
            if (count > 0)
            {
                using var part = tensor(count == blockRows ? blocks[b] : blocks[b].AsSpan(0, count * width).ToArray(), [count, width], ScalarType.Float32);
                using var destination = features.narrow(0, start, count);
                destination.copy_(part);
                start += count;
            }
            blocks[b] = null!; // copied: the collector may take it back while the rest are copied
        }
        return new TabularDataset(features, labels.ToArray(), lines.ToArray(), rows.ToArray(), preprocessor);
    }

    /// <summary>Learns the preprocessing from the file's rows that pass <see cref="TabularOptions.RowFilter"/> and reads those rows (two passes over the file).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TabularDataException">See <see cref="TabularPreprocessor.Fit(string, TabularOptions?)"/>.</exception>
    public static TabularDataset Load(string path, TabularOptions? options = null)
    {
        options ??= new TabularOptions();
        return Load(path, TabularPreprocessor.Fit(path, options), options.RowFilter);
    }

    /// <summary>The raw text of one column for every data row, e.g. the labels to split a file by before training.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="TabularDataException">The file is empty, ragged, or has no such column.</exception>
    public static IReadOnlyList<string> ReadColumn(string path, string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        using var reader = TabularCsvReader.Open(path);
        var index = reader.IndexOf(column, "requested");
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.Field(index).ToString());
        return values;
    }

    /// <summary>Disposes <see cref="Features"/>.</summary>
    public void Dispose() => Features.Dispose();
}
