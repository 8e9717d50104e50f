using System.Globalization;
using static TorchSharp.torch;

namespace Vae.Core.Data;

/// <summary>
/// An anomaly detector for tables: a <see cref="VariationalAutoencoder"/> trained on normal rows together with the
/// <see cref="TabularPreprocessor"/> that turns a raw row into its features and the threshold above which a score is
/// anomalous. All three travel in one model file (the preprocessing and threshold as attachments), so a loaded model
/// scores raw rows (a dictionary, values in column order, a CSV line, a whole CSV file) exactly as before it was saved.
/// </summary>
/// <remarks>
/// A row's score is the negative ELBO at the posterior mean (<see cref="AnomalyScoreKind.NegativeElboAtMean"/>), in
/// nats. The default model (<see cref="DefaultModelOptions"/>) has a Gaussian likelihood with a learned variance per
/// feature, so a feature that is noisy in normal rows counts for less than one that is usually exact.
/// </remarks>
/// <example>
/// <code>
/// var options = new TabularOptions { LabelColumn = "label", RowFilter = (_, label) => label == "normal" };
/// using var train = TabularDataset.Load("train.csv", options);
/// using var detector = TabularAnomalyModel.Train(train, trainerOptions: new VaeTrainerOptions { Epochs = 200, BatchSize = 32 });
/// detector.Threshold = detector.ThresholdAtPercentile(train, 99);
/// detector.Save("detector.vae");
/// using var loaded = TabularAnomalyModel.Load("detector.vae");
/// double score = loaded.Score(new Dictionary&lt;string, string?&gt; { ["amount"] = "912.50", ["country"] = "NL" });
/// </code>
/// </example>
public sealed class TabularAnomalyModel : IDisposable
{
    /// <summary>The name of the model-file attachment that holds the preprocessing as JSON.</summary>
    public const string PreprocessingAttachment = "tabular.preprocessing";

    /// <summary>The name of the model-file attachment that holds the threshold (round-trip text).</summary>
    public const string ThresholdAttachment = "tabular.threshold";

    /// <summary>The name of the model-file attachment that holds the score: <c>elbo</c>, or <c>iwae:k</c> with k importance samples.</summary>
    public const string ScoreAttachment = "tabular.score";

    /// <summary>The seed of the importance samples of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>, fixed so that a row scores the same every time.</summary>
    public const long ImportanceSeed = 1;

    private AnomalyScoreKind scoreKind = AnomalyScoreKind.NegativeElboAtMean;
    private int importanceSamples = AnomalyDetector.DefaultImportanceSamples;

    private double threshold;

    /// <summary>Pairs a model with the preprocessing it was trained through; the detector owns and disposes the model.</summary>
    /// <param name="model">A model whose input size equals the preprocessor's feature count.</param>
    /// <param name="preprocessor">The encoding of raw rows.</param>
    /// <param name="threshold">Scores above it are anomalous; +infinity flags nothing until a threshold is chosen.</param>
    /// <exception cref="ArgumentException">The sizes differ, or the threshold is NaN.</exception>
    public TabularAnomalyModel(VariationalAutoencoder model, TabularPreprocessor preprocessor, double threshold = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(preprocessor);
        if (model.Options.InputSize != preprocessor.FeatureCount)
            throw new ArgumentException(
                $"The model takes {model.Options.InputSize} features but the preprocessing makes {preprocessor.FeatureCount} ({string.Join(", ", preprocessor.FeatureNames)}).", nameof(model));
        Model = model;
        Preprocessor = preprocessor;
        Threshold = threshold;
    }

    /// <summary>The VAE trained on the standardised features of normal rows.</summary>
    public VariationalAutoencoder Model { get; }

    /// <summary>The encoding of raw rows.</summary>
    public TabularPreprocessor Preprocessor { get; }

    /// <summary>Scores above this are anomalous; saved with the model.</summary>
    /// <exception cref="ArgumentException">Set to NaN.</exception>
    public double Threshold
    {
        get => threshold;
        set
        {
            if (double.IsNaN(value)) throw new ArgumentException("The threshold must not be NaN.", nameof(value));
            threshold = value;
        }
    }

    /// <summary>
    /// How rows are scored: the negative ELBO at the posterior mean (the default, one pass), or the negative
    /// importance-weighted log-likelihood from <see cref="ImportanceSamples"/> samples drawn from a generator seeded
    /// with <see cref="ImportanceSeed"/> at every call (so a call scores its rows the same every time). Saved with the model.
    /// </summary>
    /// <exception cref="ArgumentException">Set to an unknown kind.</exception>
    public AnomalyScoreKind ScoreKind
    {
        get => scoreKind;
        set
        {
            if (!Enum.IsDefined(value)) throw new ArgumentException($"Unknown {nameof(AnomalyScoreKind)} {(int)value}.", nameof(value));
            scoreKind = value;
        }
    }

    /// <summary>The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>; saved with the model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less.</exception>
    public int ImportanceSamples
    {
        get => importanceSamples;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            importanceSamples = value;
        }
    }

    /// <summary>
    /// The default model for a table of <paramref name="featureCount"/> features: one hidden layer of twice the
    /// features (16 to 256), a latent code of a quarter of them (2 to 16), and a Gaussian likelihood with a learned
    /// variance per feature, starting at 1 (the variance of a standardised feature).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="featureCount"/> is not positive.</exception>
    public static VaeOptions DefaultModelOptions(int featureCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        return new VaeOptions
        {
            InputSize = featureCount,
            HiddenSizes = [Math.Clamp(2 * featureCount, 16, 256)],
            LatentSize = Math.Clamp(featureCount / 4, 2, 16),
            Likelihood = VaeLikelihood.Gaussian,
            LearnGaussianVariance = true,
            GaussianVariance = 1.0,
        };
    }

    /// <summary>
    /// Trains a new model on rows in memory (only normal rows, ideally). The weights are drawn after seeding libtorch's
    /// global generator with the trainer's <see cref="VaeTrainerOptions.Seed"/>, so the same seed gives the same model.
    /// </summary>
    /// <param name="train">The training rows; its preprocessor becomes the detector's.</param>
    /// <param name="modelOptions">The architecture; null for <see cref="DefaultModelOptions"/>. Its input size must be the feature count.</param>
    /// <param name="trainerOptions">Epochs, batch size, learning rate, seed; null for the trainer's defaults.</param>
    /// <param name="progress">Receives the trainer's reports.</param>
    /// <param name="cancellationToken">Stops training between two batches.</param>
    /// <returns>The detector, with no threshold yet (+infinity).</returns>
    public static TabularAnomalyModel Train(TabularDataset train, VaeOptions? modelOptions = null, VaeTrainerOptions? trainerOptions = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        return TrainWith(train.Preprocessor, modelOptions, trainerOptions, trainer => trainer.Fit(train.Features, null, progress, cancellationToken));
    }

    /// <summary>Trains a new model on batches streamed from a file larger than memory, seeded as the in-memory overload.</summary>
    /// <param name="train">The streamed rows; its preprocessor becomes the detector's.</param>
    /// <param name="modelOptions">The architecture; null for <see cref="DefaultModelOptions"/>.</param>
    /// <param name="trainerOptions">Epochs, learning rate, seed (the batch size is the stream's); null for the trainer's defaults.</param>
    /// <param name="progress">Receives the trainer's reports.</param>
    /// <param name="cancellationToken">Stops training between two batches.</param>
    /// <returns>The detector, with no threshold yet (+infinity).</returns>
    public static TabularAnomalyModel Train(TabularBatchStream train, VaeOptions? modelOptions = null, VaeTrainerOptions? trainerOptions = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        var options = (trainerOptions ?? new VaeTrainerOptions()) with { BatchSize = train.BatchSize };
        return TrainWith(train.Preprocessor, modelOptions, options, trainer => trainer.Fit(train.Epoch, null, progress, cancellationToken));
    }

    /// <summary>The scores of rows already encoded, <c>[N, FeatureCount]</c>.</summary>
    public double[] Score(Tensor features)
    {
        var detector = new AnomalyDetector(Model, double.PositiveInfinity, ScoreKind, ImportanceSamples);
        if (ScoreKind == AnomalyScoreKind.NegativeElboAtMean) return detector.Score(features);
        using var generator = new Generator((ulong)ImportanceSeed, Model.Device);
        return detector.Score(features, generator);
    }

    /// <summary>The score of every row of a data set read through this model's preprocessing.</summary>
    public double[] Score(TabularDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Score(data.Features);
    }

    /// <summary>The score of one raw row given by column name.</summary>
    /// <exception cref="TabularDataException">A column is absent or a value cannot be encoded.</exception>
    public double Score(IReadOnlyDictionary<string, string?> row) => ScoreOne(Preprocessor.Transform(row));

    /// <summary>The score of one raw row given as values in the order of <see cref="TabularPreprocessor.Columns"/>.</summary>
    /// <exception cref="TabularDataException">The count differs or a value cannot be encoded.</exception>
    public double Score(IReadOnlyList<string?> values) => ScoreOne(Preprocessor.Transform(values));

    /// <summary>
    /// Scores rows in memory, each column name to value, through the model's preprocessing, as a file's rows are scored;
    /// names other than the input columns (a label, an identifier) are ignored.
    /// </summary>
    /// <param name="rows">The rows; a null value is a missing one.</param>
    /// <returns>One score per row, in order.</returns>
    /// <exception cref="TabularDataException">An input column is absent or a value cannot be encoded; the message names <c>rows[i]</c> (0-based) and the column.</exception>
    public double[] Score(IEnumerable<IReadOnlyDictionary<string, object?>> rows)
    {
        using var data = TabularDataset.Load(rows, Preprocessor);
        return Score(data);
    }

    /// <summary>Scores rows of numbers with their column names through the model's preprocessing (see <see cref="Score(IEnumerable{IReadOnlyDictionary{string, object}})"/>).</summary>
    /// <param name="columns">The name of each column, in the rows' order.</param>
    /// <param name="rows">The rows, one value per column.</param>
    /// <returns>One score per row, in order.</returns>
    /// <exception cref="TabularDataException">A row has another length, an input column is absent, or a value is NaN or infinite; the message names <c>rows[i]</c> and the column.</exception>
    public double[] Score(IReadOnlyList<string> columns, IEnumerable<double[]> rows)
    {
        using var data = TabularDataset.Load(columns, rows, Preprocessor);
        return Score(data);
    }

    /// <summary>The score of one CSV line holding the input columns' values in order.</summary>
    /// <exception cref="TabularDataException">The line is ragged or a value cannot be encoded.</exception>
    public double ScoreCsvLine(string line) => ScoreOne(Preprocessor.TransformCsvLine(line));

    /// <summary>Scores every row of a CSV file, reading it in batches so that a file of any size fits.</summary>
    /// <param name="path">A CSV file whose header holds the input columns (and the label column, if the labels are wanted).</param>
    /// <param name="batchSize">Rows encoded and scored at once.</param>
    /// <returns>One result per data row, in file order, produced lazily.</returns>
    /// <exception cref="TabularDataException">The file lacks a column, or a row cannot be encoded.</exception>
    public IEnumerable<TabularScore> ScoreCsv(string path, int batchSize = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        using var reader = TabularCsvReader.Open(path);
        var inputs = Preprocessor.Locate(reader);
        var label = Preprocessor.LabelColumn is { } name && reader.Header.Contains(name) ? reader.IndexOf(name, "label") : -1;
        var width = Preprocessor.FeatureCount;
        var features = new float[batchSize * width];
        var pending = new List<(long Row, long Line, string? Label)>(batchSize);
        long rowIndex = -1;
        while (true)
        {
            var more = ReadInto(reader, inputs, label, features, pending, ref rowIndex);
            if (pending.Count > 0)
            {
                using var batch = tensor(features.AsSpan(0, pending.Count * width).ToArray(), [pending.Count, width], ScalarType.Float32);
                var scores = Score(batch);
                for (var i = 0; i < pending.Count; i++) yield return new TabularScore(pending[i].Row, pending[i].Line, pending[i].Label, scores[i], scores[i] > Threshold);
                pending.Clear();
            }
            if (!more) yield break;
        }
    }

    /// <summary>The <paramref name="percentile"/>-th percentile of the scores of normal rows, a threshold flagging about (100 - percentile)% of such rows.</summary>
    /// <exception cref="ArgumentException">The data set has no rows.</exception>
    public double ThresholdAtPercentile(TabularDataset normalRows, double percentile)
    {
        var scores = Score(normalRows);
        if (scores.Length == 0) throw new ArgumentException("The data set holds no rows to set a threshold from.", nameof(normalRows));
        return AnomalyMetrics.Percentile(scores, percentile);
    }

    /// <summary>Writes the weights, the preprocessing and the threshold into one model file, atomically.</summary>
    public void Save(string path) => VaeModelFile.Save(Model, path, Attachments());

    /// <summary>Writes the weights, the preprocessing and the threshold into a stream.</summary>
    public void Save(Stream stream) => VaeModelFile.Save(Model, stream, Attachments());

    /// <summary>Reads a model file written by <see cref="Save(string)"/>.</summary>
    /// <exception cref="InvalidDataException">The file is damaged, or is a plain VAE without tabular preprocessing.</exception>
    public static TabularAnomalyModel Load(string path)
    {
        var attachments = VaeModelFile.ReadAttachments(path);
        var preprocessor = ReadPreprocessor(attachments, path);
        var model = VaeModelFile.Load(path);
        try
        {
            var loaded = new TabularAnomalyModel(model, preprocessor, ReadThreshold(attachments, path));
            loaded.ReadScore(attachments, path);
            return loaded;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            model.Dispose();
            throw e as InvalidDataException ?? new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Disposes the model.</summary>
    public void Dispose() => Model.Dispose();

    private static TabularAnomalyModel TrainWith(TabularPreprocessor preprocessor, VaeOptions? modelOptions, VaeTrainerOptions? trainerOptions, Action<VaeTrainer> fit)
    {
        var options = modelOptions ?? DefaultModelOptions(preprocessor.FeatureCount);
        if (options.InputSize != preprocessor.FeatureCount)
            throw new ArgumentException($"The model options take {options.InputSize} features but the table has {preprocessor.FeatureCount}.", nameof(modelOptions));
        manual_seed((trainerOptions ?? new VaeTrainerOptions()).Seed);
        var model = new VariationalAutoencoder(options);
        try
        {
            using (var trainer = new VaeTrainer(model, trainerOptions)) fit(trainer);
            return new TabularAnomalyModel(model, preprocessor);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private double ScoreOne(float[] features)
    {
        using var row = tensor(features, [1, features.Length], ScalarType.Float32);
        return Score(row)[0];
    }

    private bool ReadInto(TabularCsvReader reader, int[] inputs, int label, float[] features, List<(long, long, string?)> pending, ref long rowIndex)
    {
        var width = Preprocessor.FeatureCount;
        while (pending.Count * width < features.Length)
        {
            if (!reader.Read()) return false;
            rowIndex++;
            var row = features.AsSpan(pending.Count * width, width);
            for (var c = 0; c < inputs.Length; c++) Preprocessor.Encode(c, reader.Field(inputs[c]), row, reader.Source, reader.MessageLine);
            pending.Add((rowIndex, reader.Line, label >= 0 ? reader.Field(label).ToString() : null));
        }
        return true;
    }

    private Dictionary<string, string> Attachments() => new()
    {
        [PreprocessingAttachment] = Preprocessor.ToJson(),
        [ThresholdAttachment] = Threshold.ToString("R", CultureInfo.InvariantCulture),
        [ScoreAttachment] = ScoreKind == AnomalyScoreKind.NegativeElboAtMean ? "elbo" : string.Create(CultureInfo.InvariantCulture, $"iwae:{ImportanceSamples}"),
    };

    private void ReadScore(IReadOnlyDictionary<string, string> attachments, string path)
    {
        if (!attachments.TryGetValue(ScoreAttachment, out var text) || text == "elbo") return;
        if (text.StartsWith("iwae:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k > 0)
        {
            ScoreKind = AnomalyScoreKind.NegativeImportanceWeighted;
            ImportanceSamples = k;
            return;
        }
        throw new InvalidDataException($"'{path}': the score attachment '{text}' is neither 'elbo' nor 'iwae:k'.");
    }

    private static TabularPreprocessor ReadPreprocessor(IReadOnlyDictionary<string, string> attachments, string path)
    {
        if (!attachments.TryGetValue(PreprocessingAttachment, out var json))
            throw new InvalidDataException($"'{path}' is a VAE model file without tabular preprocessing (no '{PreprocessingAttachment}' attachment); save it with TabularAnomalyModel.Save.");
        try
        {
            return TabularPreprocessor.FromJson(json);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    private static double ReadThreshold(IReadOnlyDictionary<string, string> attachments, string path)
    {
        if (!attachments.TryGetValue(ThresholdAttachment, out var text)) return double.PositiveInfinity;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
            throw new InvalidDataException($"'{path}': the threshold attachment '{text}' is not a number.");
        return value;
    }
}
