using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// Flags samples that a VAE trained on normal data explains poorly: each sample gets a score (see
/// <see cref="AnomalyScoreKind"/>) and is anomalous when the score exceeds a threshold, usually a high percentile of
/// the scores of held-out normal data (<see cref="Fit(VariationalAutoencoder, Tensor, double, AnomalyScoreKind, int, Generator?)"/>, or from arrays).
/// </summary>
/// <example>
/// <code>
/// var detector = AnomalyDetector.Fit(model, normalValidation, percentile: 99);
/// foreach (var result in detector.Detect(batch)) Console.WriteLine($"{result.Score:F1} {result.IsAnomalous}");
/// detector.Save("detector.vae");                          // the model and the threshold, one file
/// using var loaded = AnomalyDetector.Load("detector.vae"); // owns its model: dispose it
/// </code>
/// </example>
public sealed class AnomalyDetector : IDisposable
{
    /// <summary>
    /// The name of the model-file attachment (<see cref="VaeModelFile.Save(VariationalAutoencoder, string, IReadOnlyDictionary{string, string}?)"/>)
    /// that holds a saved detector's settings as JSON: <c>Format</c> (1), <c>Threshold</c>, <c>ScoreKind</c>, <c>ImportanceSamples</c>.
    /// </summary>
    public const string AttachmentName = "Vae.AnomalyDetector";

    private const int AttachmentFormat = 1;
    private static readonly JsonSerializerOptions AttachmentJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    // Set for a detector made by Load, whose model nobody else holds.
    private bool ownsModel;

    /// <summary>The number of importance samples per input used by <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/> by default.</summary>
    public const int DefaultImportanceSamples = 100;

    /// <summary>Creates a detector with a known threshold.</summary>
    /// <param name="model">The model trained on normal data; the detector uses it but does not own or dispose it.</param>
    /// <param name="threshold">Scores above this are anomalous.</param>
    /// <param name="scoreKind">How to score a sample.</param>
    /// <param name="importanceSamples">The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>; ignored otherwise.</param>
    /// <exception cref="ArgumentException"><paramref name="threshold"/> is NaN, or <paramref name="scoreKind"/> is unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="importanceSamples"/> is not positive.</exception>
    public AnomalyDetector(
        VariationalAutoencoder model,
        double threshold,
        AnomalyScoreKind scoreKind = AnomalyScoreKind.NegativeElboAtMean,
        int importanceSamples = DefaultImportanceSamples)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (double.IsNaN(threshold)) throw new ArgumentException("threshold must not be NaN.", nameof(threshold));
        if (!Enum.IsDefined(scoreKind))
            throw new ArgumentException($"Unknown {nameof(AnomalyScoreKind)} {(int)scoreKind}.", nameof(scoreKind));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(importanceSamples);
        Model = model;
        Threshold = threshold;
        ScoreKind = scoreKind;
        ImportanceSamples = importanceSamples;
    }

    /// <summary>The model that scores samples.</summary>
    public VariationalAutoencoder Model { get; }

    /// <summary>Scores above this are anomalous.</summary>
    public double Threshold { get; }

    /// <summary>How samples are scored.</summary>
    public AnomalyScoreKind ScoreKind { get; }

    /// <summary>The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>.</summary>
    public int ImportanceSamples { get; }

    /// <summary>
    /// Scores normal validation data and sets the threshold at the given percentile of those scores (linear
    /// interpolation between order statistics, as NumPy's default), so that about (100 - percentile)% of normal data
    /// is flagged.
    /// </summary>
    /// <param name="model">The model trained on normal data.</param>
    /// <param name="normalData">Held-out normal samples <c>[N, InputSize]</c> in [0, 1] (finite for a Gaussian likelihood), not the training data, whose scores are optimistic.</param>
    /// <param name="percentile">The percentile in [0, 100] of the normal scores to use as the threshold.</param>
    /// <param name="scoreKind">How to score a sample.</param>
    /// <param name="importanceSamples">The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>.</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The fitted detector.</returns>
    /// <exception cref="ArgumentException">The data has the wrong shape, no rows, or lies outside the likelihood's range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    public static AnomalyDetector Fit(
        VariationalAutoencoder model,
        Tensor normalData,
        double percentile = 99,
        AnomalyScoreKind scoreKind = AnomalyScoreKind.NegativeElboAtMean,
        int importanceSamples = DefaultImportanceSamples,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (double.IsNaN(percentile) || percentile < 0 || percentile > 100)
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "percentile must lie in [0, 100].");
        var unfitted = new AnomalyDetector(model, double.PositiveInfinity, scoreKind, importanceSamples);
        var scores = unfitted.Score(normalData, generator);
        if (scores.Length == 0)
            throw new ArgumentException($"{nameof(normalData)} must have at least one row, but has shape {Guard.Shape(normalData)}.", nameof(normalData));
        return new AnomalyDetector(model, AnomalyMetrics.Percentile(scores, percentile), scoreKind, importanceSamples);
    }

    /// <summary>
    /// <see cref="Fit(VariationalAutoencoder, Tensor, double, AnomalyScoreKind, int, Generator?)"/> for rows of floats
    /// (converted to the model's dtype, as every entry point converts); a ragged or wrongly sized row is named.
    /// </summary>
    /// <param name="model">The model trained on normal data.</param>
    /// <param name="normalData">Held-out normal samples, <c>InputSize</c> values each.</param>
    /// <param name="percentile">The percentile in [0, 100] of the normal scores to use as the threshold.</param>
    /// <param name="scoreKind">How to score a sample.</param>
    /// <param name="importanceSamples">The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>.</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The fitted detector.</returns>
    /// <exception cref="ArgumentException">A row has the wrong length, there are no rows, or a value lies outside the likelihood's range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    public static AnomalyDetector Fit(
        VariationalAutoencoder model,
        float[][] normalData,
        double percentile = 99,
        AnomalyScoreKind scoreKind = AnomalyScoreKind.NegativeElboAtMean,
        int importanceSamples = DefaultImportanceSamples,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(normalData);
        using var scope = NewDisposeScope();
        return Fit(model, ArrayTable.Rows(model, normalData, model.Options.RowWidth, nameof(normalData)), percentile, scoreKind, importanceSamples, generator);
    }

    /// <summary>
    /// <see cref="Fit(VariationalAutoencoder, Tensor, double, AnomalyScoreKind, int, Generator?)"/> for rows of doubles
    /// (converted to the model's dtype, as every entry point converts); a ragged or wrongly sized row is named.
    /// </summary>
    /// <param name="model">The model trained on normal data.</param>
    /// <param name="normalData">Held-out normal samples, <c>InputSize</c> values each.</param>
    /// <param name="percentile">The percentile in [0, 100] of the normal scores to use as the threshold.</param>
    /// <param name="scoreKind">How to score a sample.</param>
    /// <param name="importanceSamples">The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>.</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The fitted detector.</returns>
    /// <exception cref="ArgumentException">A row has the wrong length, there are no rows, or a value lies outside the likelihood's range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    public static AnomalyDetector Fit(
        VariationalAutoencoder model,
        double[][] normalData,
        double percentile = 99,
        AnomalyScoreKind scoreKind = AnomalyScoreKind.NegativeElboAtMean,
        int importanceSamples = DefaultImportanceSamples,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(normalData);
        using var scope = NewDisposeScope();
        return Fit(model, ArrayTable.Rows(model, normalData, model.Options.RowWidth, nameof(normalData)), percentile, scoreKind, importanceSamples, generator);
    }

    /// <summary>
    /// <see cref="Fit(VariationalAutoencoder, Tensor, double, AnomalyScoreKind, int, Generator?)"/> for a matrix of floats, one row per sample
    /// (converted to the model's dtype, as every entry point converts); a ragged or wrongly sized row is named.
    /// </summary>
    /// <param name="model">The model trained on normal data.</param>
    /// <param name="normalData">Held-out normal samples, <c>InputSize</c> values each.</param>
    /// <param name="percentile">The percentile in [0, 100] of the normal scores to use as the threshold.</param>
    /// <param name="scoreKind">How to score a sample.</param>
    /// <param name="importanceSamples">The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>.</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The fitted detector.</returns>
    /// <exception cref="ArgumentException">A row has the wrong length, there are no rows, or a value lies outside the likelihood's range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    public static AnomalyDetector Fit(
        VariationalAutoencoder model,
        float[,] normalData,
        double percentile = 99,
        AnomalyScoreKind scoreKind = AnomalyScoreKind.NegativeElboAtMean,
        int importanceSamples = DefaultImportanceSamples,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(normalData);
        using var scope = NewDisposeScope();
        return Fit(model, ArrayTable.Rows(model, normalData, model.Options.RowWidth, nameof(normalData)), percentile, scoreKind, importanceSamples, generator);
    }

    /// <summary>
    /// <see cref="Fit(VariationalAutoencoder, Tensor, double, AnomalyScoreKind, int, Generator?)"/> for a matrix of doubles, one row per sample
    /// (converted to the model's dtype, as every entry point converts); a ragged or wrongly sized row is named.
    /// </summary>
    /// <param name="model">The model trained on normal data.</param>
    /// <param name="normalData">Held-out normal samples, <c>InputSize</c> values each.</param>
    /// <param name="percentile">The percentile in [0, 100] of the normal scores to use as the threshold.</param>
    /// <param name="scoreKind">How to score a sample.</param>
    /// <param name="importanceSamples">The k of <see cref="AnomalyScoreKind.NegativeImportanceWeighted"/>.</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The fitted detector.</returns>
    /// <exception cref="ArgumentException">A row has the wrong length, there are no rows, or a value lies outside the likelihood's range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    public static AnomalyDetector Fit(
        VariationalAutoencoder model,
        double[,] normalData,
        double percentile = 99,
        AnomalyScoreKind scoreKind = AnomalyScoreKind.NegativeElboAtMean,
        int importanceSamples = DefaultImportanceSamples,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(normalData);
        using var scope = NewDisposeScope();
        return Fit(model, ArrayTable.Rows(model, normalData, model.Options.RowWidth, nameof(normalData)), percentile, scoreKind, importanceSamples, generator);
    }

    /// <summary>The anomaly score of each sample, in nats (higher is more anomalous).</summary>
    /// <param name="input">Samples <c>[N, InputSize]</c> in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One score per row.</returns>
    /// <exception cref="ArgumentException">The input has the wrong shape or lies outside the likelihood's range.</exception>
    public double[] Score(Tensor input, Generator? generator = null)
    {
        using var inference = Model.Inference();
        using var scope = NewDisposeScope();
        input = ModelInput.ForModel(input, Model, nameof(input));
        Model.Likelihood.CheckData(Model.FeaturesOf(input), nameof(input));
        var scores = ScoreKind == AnomalyScoreKind.NegativeElboAtMean
            ? NegativeElboAtMean(input)
            : LikelihoodEstimator.LogLikelihood(Model, input, ImportanceSamples, generator).neg();
        return scores.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
    }

    /// <summary>Scores each sample and compares it with <see cref="Threshold"/>.</summary>
    /// <param name="input">Samples <c>[N, InputSize]</c> in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One result per row, in order.</returns>
    /// <exception cref="ArgumentException">The input has the wrong shape or lies outside the likelihood's range.</exception>
    public IReadOnlyList<AnomalyResult> Detect(Tensor input, Generator? generator = null) =>
        Score(input, generator).Select(score => new AnomalyResult(score, score > Threshold)).ToArray();

    /// <summary>
    /// Saves the model and this detector's threshold, score kind and importance samples to one model file, atomically
    /// (the settings travel as the attachment <see cref="AttachmentName"/>); <see cref="Load(string)"/> reads both back.
    /// <see cref="VariationalAutoencoder.Load(string)"/> still loads the model alone from it.
    /// </summary>
    /// <param name="path">The file to create or replace; an existing file survives a failed save.</param>
    /// <param name="attachments">More attachments to save with them (a table's scaling, say); null for none. They must not use <see cref="AttachmentName"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="attachments"/> uses <see cref="AttachmentName"/>, or a name is invalid.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed; nothing is written.</exception>
    public void Save(string path, IReadOnlyDictionary<string, string>? attachments = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (attachments is not null && attachments.ContainsKey(AttachmentName))
            throw new ArgumentException($"The attachment name '{AttachmentName}' is the detector's own; give yours another name.", nameof(attachments));
        var settings = new JsonObject
        {
            ["Format"] = AttachmentFormat,
            ["Threshold"] = JsonValue.Create(Threshold),
            ["ScoreKind"] = ScoreKind.ToString(),
            ["ImportanceSamples"] = ImportanceSamples,
        };
        var all = new Dictionary<string, string>(attachments ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [AttachmentName] = settings.ToJsonString(AttachmentJson),
        };
        VaeModelFile.Save(Model, path, all);
    }

    /// <summary>
    /// Loads a detector saved by <see cref="Save"/>: its model (on the CPU, in evaluation mode) and its settings, so it
    /// scores and flags exactly as the saved one. The detector owns that model: dispose the detector when done.
    /// </summary>
    /// <param name="path">A file written by <see cref="Save"/>.</param>
    /// <returns>The detector, owning its model.</returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid model file (see <see cref="VaeModelFile.Load(string)"/>), holds a model without a detector
    /// (saved by <see cref="VariationalAutoencoder.Save(string)"/>), or the detector's settings are unreadable or out of
    /// range; the message names the file and the setting.
    /// </exception>
    public static AnomalyDetector Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var attachments = VaeModelFile.ReadAttachments(path);
        if (!attachments.TryGetValue(AttachmentName, out var text))
            throw new InvalidDataException(
                $"'{path}' holds a model but no anomaly detector (no attachment '{AttachmentName}'): save one with AnomalyDetector.Save, or load the model with VariationalAutoencoder.Load.");
        var (threshold, kind, importanceSamples) = ParseSettings(text, path);
        var model = VaeModelFile.Load(path);
        return new AnomalyDetector(model, threshold, kind, importanceSamples) { ownsModel = true };
    }

    /// <summary>
    /// Loads a detector saved by <see cref="Save"/> from <paramref name="stream"/>, reading exactly one saved model from
    /// its current position (as <see cref="VaeModelFile.Load(Stream, string?)"/> does): a file read once into memory gives
    /// its model and settings from one version of it, even when the file is replaced meanwhile.
    /// </summary>
    /// <param name="stream">A readable, seekable stream; it is left open.</param>
    /// <param name="sourceName">What to call the source in error messages; the file name of a <see cref="FileStream"/> when null.</param>
    /// <returns>The detector, owning its model.</returns>
    /// <exception cref="ArgumentException">The stream cannot seek.</exception>
    /// <exception cref="InvalidDataException">
    /// The data is not a valid saved model, holds a model without a detector, or the detector's settings are unreadable
    /// or out of range; the message names the source and the setting.
    /// </exception>
    public static AnomalyDetector Load(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek) throw new ArgumentException("The stream must be seekable: the detector's settings and its model are read from it in two passes.", nameof(stream));
        var source = sourceName ?? (stream as FileStream)?.Name ?? "the stream";
        var start = stream.Position;
        var attachments = VaeModelFile.ReadAttachments(stream, source);
        if (!attachments.TryGetValue(AttachmentName, out var text))
            throw new InvalidDataException(
                $"'{source}' holds a model but no anomaly detector (no attachment '{AttachmentName}'): save one with AnomalyDetector.Save, or load the model with VariationalAutoencoder.Load.");
        var (threshold, kind, importanceSamples) = ParseSettings(text, source);
        stream.Position = start;
        var model = VaeModelFile.Load(stream, source);
        return new AnomalyDetector(model, threshold, kind, importanceSamples) { ownsModel = true };
    }

    /// <summary>Disposes the model if this detector owns it (one made by <see cref="Load(string)"/>); a detector made from a model of the caller's leaves it alone.</summary>
    public void Dispose()
    {
        if (!ownsModel) return;
        ownsModel = false;
        Model.Dispose();
    }

    private static (double Threshold, AnomalyScoreKind Kind, int ImportanceSamples) ParseSettings(string text, string path)
    {
        InvalidDataException Bad(string detail, Exception? inner = null) =>
            new($"'{path}' holds an anomaly detector whose settings (attachment '{AttachmentName}') are invalid: {detail}.", inner);

        JsonObject settings;
        try
        {
            settings = JsonNode.Parse(text) as JsonObject ?? throw Bad("they are not a JSON object");
        }
        catch (JsonException e)
        {
            throw Bad($"they are not JSON ({e.Message})", e);
        }
        T Field<T>(string name)
        {
            try
            {
                return settings[name] is { } node ? node.Deserialize<T>(AttachmentJson)! : throw Bad($"the field {name} is missing");
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                throw Bad($"the field {name} is {settings[name]?.ToJsonString()}, not a {typeof(T).Name}", e);
            }
        }

        var format = Field<int>("Format");
        if (format != AttachmentFormat) throw Bad($"the field Format is {format}, but this library reads format {AttachmentFormat}");
        var threshold = Field<double>("Threshold");
        if (double.IsNaN(threshold)) throw Bad("the field Threshold is NaN");
        var kindName = Field<string>("ScoreKind");
        if (!Enum.TryParse<AnomalyScoreKind>(kindName, ignoreCase: false, out var kind) || !Enum.IsDefined(kind) || int.TryParse(kindName, CultureInfo.InvariantCulture, out _))
            throw Bad($"the field ScoreKind is '{kindName}', not one of {string.Join(", ", Enum.GetNames<AnomalyScoreKind>())}");
        var importanceSamples = Field<int>("ImportanceSamples");
        if (importanceSamples <= 0) throw Bad($"the field ImportanceSamples is {importanceSamples}, but must be positive");
        return (threshold, kind, importanceSamples);
    }

    /// <summary>Whether scores at the posterior mean may decode on the fused kernels (false for the benchmark's comparison).</summary>
    internal static bool UseFusedKernels { get; set; } = true;

    // On x86-64 CPUs with AVX-512 or AVX2 the built-in convolutional decoder and log p(x|z) run on the fused kernels
    // (as in the IWAE estimate): the same scores to float rounding. Only for a convolutional model and at least a tile
    // of rows: measured on one thread (Vae.Benchmarks anomaly --batch N), 32 rows a call scored at ~4,000 images/s
    // against the modules' ~3,200 and 2,000 at ~3,800 against ~2,200, but single rows at ~330 against ~680 (the
    // kernels' setup), and an MLP's decoder, one cheap product, gained nothing at any batch size.
    private Tensor NegativeElboAtMean(Tensor input)
    {
        using var noGrad = no_grad();
        var worthIt = UseFusedKernels && Model.Options.Architecture == VaeArchitecture.Convolutional && input.shape[0] >= Kernels.FusedLikelihood.ConvTileColumns
            && input.dtype == ScalarType.Float32 && input.device_type == DeviceType.CPU;
        using var fused = worthIt ? Kernels.FusedLikelihood.TryCreate(Model) : null;
        return LogJoint.NegativeElboAtMean(Model, input, fused, VaeRuntime.CpuThreads);
    }
}
