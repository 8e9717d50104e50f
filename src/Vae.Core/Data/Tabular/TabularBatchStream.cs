using static TorchSharp.torch;

namespace Vae.Core.Data;

/// <summary>
/// Training batches read from a CSV file on every epoch, for tables larger than memory: the file is read forward once
/// per epoch, each row encoded by a <see cref="TabularPreprocessor"/> (fitted beforehand in its own pass), and the rows
/// pass through a shuffle buffer before being cut into batches. Memory is the buffer (rows x features x 4 bytes) and one
/// batch, whatever the size of the file.
/// </summary>
/// <remarks>
/// The shuffle is approximate, as with a shuffle buffer in tf.data: a row leaves the buffer at a random time after it
/// arrives, so rows move by about the buffer's size at most, and the first rows of a sorted file still come out
/// earlier than the last. Shuffle the file once on disk if it is sorted by something the model should not see in order,
/// or make the buffer larger. The same seed and epoch give the same batches.
/// Give a KL warm-up in steps (<see cref="VaeTrainerOptions.KlWarmupSteps"/>): the number of batches of an epoch is not
/// known before the file is read.
/// </remarks>
/// <example>
/// <code>
/// var preprocessor = TabularPreprocessor.Fit("big.csv");                 // pass 1: the column statistics
/// var stream = new TabularBatchStream("big.csv", preprocessor, batchSize: 256);
/// trainer.Fit(stream.Epoch);                                              // every epoch reads the file again
/// </code>
/// </example>
public sealed class TabularBatchStream
{
    /// <summary>The default number of rows in the shuffle buffer.</summary>
    public const int DefaultShuffleBufferRows = 65_536;

    /// <summary>Creates a stream over a file; nothing is read until an epoch is enumerated.</summary>
    /// <param name="path">The CSV file, with the preprocessor's input columns in its header.</param>
    /// <param name="preprocessor">The encoding, fitted on the same rows (e.g. <see cref="TabularPreprocessor.Fit(string, TabularOptions?)"/> on this file).</param>
    /// <param name="batchSize">Rows per batch; the last batch of an epoch may be smaller.</param>
    /// <param name="shuffleBufferRows">Rows held for shuffling; 1 keeps the file's order.</param>
    /// <param name="seed">Seeds the shuffle together with the epoch number.</param>
    /// <param name="rowFilter">The rows to train on; null for all.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch size or buffer size is not positive.</exception>
    public TabularBatchStream(string path, TabularPreprocessor preprocessor, int batchSize = 128, int shuffleBufferRows = DefaultShuffleBufferRows, long seed = 1, TabularRowFilter? rowFilter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(preprocessor);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shuffleBufferRows);
        Path = path;
        Preprocessor = preprocessor;
        BatchSize = batchSize;
        ShuffleBufferRows = shuffleBufferRows;
        Seed = seed;
        RowFilter = rowFilter;
    }

    /// <summary>The CSV file read on every epoch.</summary>
    public string Path { get; }

    /// <summary>The encoding of each row.</summary>
    public TabularPreprocessor Preprocessor { get; }

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Rows held for the approximate shuffle.</summary>
    public int ShuffleBufferRows { get; }

    /// <summary>The seed of the shuffle.</summary>
    public long Seed { get; }

    /// <summary>The rows used; null for all.</summary>
    public TabularRowFilter? RowFilter { get; }

    /// <summary>
    /// The batches of one epoch, <c>[B, FeatureCount]</c> float32, read lazily: pass this method to
    /// <see cref="VaeTrainer.Fit(Func{int, IEnumerable{Tensor}}, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>,
    /// which disposes each batch after its step. A caller enumerating it directly owns the batches.
    /// </summary>
    /// <param name="epoch">The epoch number (from 1), which varies the shuffle.</param>
    /// <exception cref="TabularDataException">A row cannot be encoded (raised when that row is reached).</exception>
    public IEnumerable<Tensor> Epoch(int epoch)
    {
        using var reader = TabularCsvReader.Open(Path);
        var inputs = Preprocessor.Locate(reader);
        var label = Preprocessor.LabelColumn is { } name && RowFilter is not null ? reader.IndexOf(name, "label") : -1;
        var width = Preprocessor.FeatureCount;
        var random = new Random(unchecked((int)(Seed * 1_000_003 + epoch)));
        var buffer = new float[(long)ShuffleBufferRows * width];
        var incoming = new float[width];
        var filled = 0;
        var batch = new float[BatchSize * width];
        var batchRows = 0;
        long rowIndex = -1;
        while (NextRow(reader, inputs, label, incoming, ref rowIndex))
        {
            if (filled < ShuffleBufferRows)
            {
                incoming.CopyTo(buffer, (long)filled++ * width);
                continue;
            }
            // The row leaving the buffer is a random one; the incoming row takes its place.
            var slot = random.Next(ShuffleBufferRows);
            Array.Copy(buffer, (long)slot * width, batch, (long)batchRows++ * width, width);
            incoming.CopyTo(buffer, (long)slot * width);
            if (batchRows == BatchSize)
            {
                yield return tensor(batch, [BatchSize, width], ScalarType.Float32);
                batch = new float[BatchSize * width];
                batchRows = 0;
            }
        }

        // The end of the file: what is left in the buffer comes out in a random order.
        var order = Enumerable.Range(0, filled).ToArray();
        random.Shuffle(order);
        foreach (var slot in order)
        {
            Array.Copy(buffer, (long)slot * width, batch, (long)batchRows++ * width, width);
            if (batchRows == BatchSize)
            {
                yield return tensor(batch, [BatchSize, width], ScalarType.Float32);
                batch = new float[BatchSize * width];
                batchRows = 0;
            }
        }
        if (batchRows > 0) yield return tensor(batch.AsSpan(0, batchRows * width).ToArray(), [batchRows, width], ScalarType.Float32);
    }

    /// <summary>Encodes the next row the filter keeps into <paramref name="row"/>; false at the end of the file.</summary>
    private bool NextRow(TabularCsvReader reader, int[] inputs, int label, float[] row, ref long rowIndex)
    {
        while (reader.Read())
        {
            rowIndex++;
            if (RowFilter is { } filter && !filter(rowIndex, label >= 0 ? reader.Field(label).ToString() : null)) continue;
            for (var c = 0; c < inputs.Length; c++) Preprocessor.Encode(c, reader.Field(inputs[c]), row, reader.Source, reader.MessageLine);
            return true;
        }
        return false;
    }
}
