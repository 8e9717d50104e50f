using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.Core;

namespace Vae.ML;

/// <summary>
/// Trains a variational autoencoder on the rows of a float vector column (normal rows, ideally) with Vae.Core's
/// <see cref="VaeTrainer"/>, and flags rows it explains poorly: the fitted <see cref="VaeAnomalyDetectionTransformer"/>
/// adds <c>Score</c> and <c>PredictedLabel</c>, as ML.NET's randomized-PCA trainer does, so
/// <c>mlContext.AnomalyDetection.Evaluate</c> measures it.
/// </summary>
public sealed class VaeAnomalyDetectionTrainer : IEstimator<VaeAnomalyDetectionTransformer>
{
    /// <summary>The name of the score column.</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>The name of the predicted-label column.</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    private readonly VaeAnomalyDetectionOptions options;

    /// <summary>Creates the trainer; <c>mlContext.AnomalyDetection.Trainers.Vae</c> is the usual way.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    /// <exception cref="NotSupportedException">The score kind is not <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</exception>
    public VaeAnomalyDetectionTrainer(VaeAnomalyDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    /// <summary>Trains on <paramref name="input"/>'s feature column, scores its rows and sets the threshold at the chosen percentile.</summary>
    public VaeAnomalyDetectionTransformer Fit(IDataView input)
    {
        using var fitting = VaeFitting.Fit(input, options);
        try
        {
            var scores = new AnomalyDetector(fitting.Model, double.PositiveInfinity).Score(fitting.Features);
            var threshold = AnomalyMetrics.Percentile(scores, options.ThresholdPercentile);
            var onnx = OnnxExport.AnomalyScorerModel(fitting.Model, options.FeatureColumnName, OnnxTransformers.ScoreVectorColumnName, shift: fitting.Shift, scale: fitting.Scale);
            var inner = OnnxTransformers.ScoreChain(onnx, options.FeatureColumnName, threshold, input, options.Seed);
            return new VaeAnomalyDetectionTransformer(inner, fitting.Model, fitting.Shift, fitting.Scale, onnx, threshold);
        }
        catch
        {
            fitting.Model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        VaeFitting.CheckShape(inputSchema, options.FeatureColumnName);
        // The same Score (Single) and PredictedLabel (Boolean) columns as ML.NET's randomized-PCA trainer adds.
        return new MLContext().AnomalyDetection.Trainers.RandomizedPca(options.FeatureColumnName).GetOutputSchema(inputSchema);
    }
}

/// <summary>
/// Trains a variational autoencoder on the rows of a float vector column with Vae.Core's <see cref="VaeTrainer"/> and
/// adds each row's latent code: the posterior means (and optionally the log-variances) as a float vector column.
/// </summary>
public sealed class VaeEncodeEstimator : IEstimator<VaeEncodeTransformer>
{
    private readonly VaeEncodeOptions options;

    /// <summary>Creates the estimator; <c>mlContext.Transforms.VaeEncode</c> is the usual way.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public VaeEncodeEstimator(VaeEncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        if (options.OutputColumnName == options.FeatureColumnName)
            throw new ArgumentException($"The output column must differ from the input column '{options.FeatureColumnName}'.", nameof(options));
        this.options = options;
    }

    /// <summary>Trains on <paramref name="input"/>'s feature column.</summary>
    public VaeEncodeTransformer Fit(IDataView input)
    {
        using var fitting = VaeFitting.Fit(input, options);
        try
        {
            var onnx = OnnxExport.LatentFeaturesModel(fitting.Model, options.FeatureColumnName, options.OutputColumnName, options.IncludeLogVariance, fitting.Shift, fitting.Scale, oneRow: true);
            var inner = OnnxTransformers.LatentChain(onnx, options.FeatureColumnName, options.OutputColumnName, input, options.Seed);
            return new VaeEncodeTransformer(inner, fitting.Model, fitting.Shift, fitting.Scale, onnx);
        }
        catch
        {
            fitting.Model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        VaeFitting.CheckShape(inputSchema, options.FeatureColumnName);
        // A known-size vector of Single, as concatenating the input into the new column gives.
        return new MLContext().Transforms.Concatenate(options.OutputColumnName, options.FeatureColumnName).GetOutputSchema(inputSchema);
    }
}

internal static class OnnxTransformers
{
    /// <summary>The ONNX graph's score output, a vector of one; dropped at the end of the chain.</summary>
    public const string ScoreVectorColumnName = "Vae.ScoreVector";

    /// <summary>
    /// The encoder as ML.NET's ONNX transformer over a graph whose output is declared <c>[width]</c> (one row, flattened):
    /// ML.NET feeds one row at a time, and would type a <c>[batch, width]</c> output as a <c>[1, width]</c> matrix per row.
    /// </summary>
    public static ITransformer LatentChain(byte[] onnx, string featureColumn, string outputColumn, IDataView data, long seed) =>
        Fit(onnx, [outputColumn], featureColumn, data, seed);

    public static ITransformer Fit(byte[] onnx, string[] outputs, string input, IDataView data, long seed)
    {
        var context = new MLContext(unchecked((int)seed));
        using var stream = new MemoryStream(onnx, writable: false);
        return context.Transforms.ApplyOnnxModel(outputs, [input], stream).Fit(data);
    }

    /// <summary>
    /// The scorer as a chain of ML.NET's own transformers, all of which ML.NET saves and loads by itself: the ONNX graph
    /// (its <c>[batch]</c> score arrives as a vector of one: ML.NET's ONNX transformer has no working scalar outputs), an
    /// identity linear regression (weight 1, bias 0) that turns that vector into the scalar <c>Score</c>, an expression
    /// <c>Score &gt; threshold</c> for <c>PredictedLabel</c>, and the dropping of the vector.
    /// </summary>
    public static ITransformer ScoreChain(byte[] onnx, string featureColumn, double threshold, IDataView data, long seed)
    {
        var context = new MLContext(unchecked((int)seed));
        var graph = Fit(onnx, [ScoreVectorColumnName], featureColumn, data, seed);
        var identity = Identity(context);
        var scored = identity.Transform(graph.Transform(data));
        // The float threshold's exact decimal digits, never exponent notation, which the expression language may not read.
        var limit = ((double)(float)threshold).ToString("F40", System.Globalization.CultureInfo.InvariantCulture);
        var label = context.Transforms.Expression(VaeAnomalyDetectionTrainer.PredictedLabelColumnName, $"s => s > {limit}", VaeAnomalyDetectionTrainer.ScoreColumnName).Fit(scored);
        var drop = context.Transforms.DropColumns(ScoreVectorColumnName).Fit(label.Transform(scored));
        return new TransformerChain<ITransformer>(graph, identity, label, drop);
    }

    // One pass of online gradient descent at rate 1/4 over (1, 1) and (-1, -1) from zero weights lands exactly on
    // weight 1 and bias 0 (every step is a power of two), so Score = 1 * s + 0 = s bit for bit; checked below.
    private static ITransformer Identity(MLContext context)
    {
        var rows = context.Data.LoadFromEnumerable(new[] { new IdentityRow { Score = [1f], Label = 1f }, new IdentityRow { Score = [-1f], Label = -1f } });
        var trainer = context.Regression.Trainers.OnlineGradientDescent(new Microsoft.ML.Trainers.OnlineGradientDescentTrainer.Options
        {
            FeatureColumnName = ScoreVectorColumnName,
            LabelColumnName = nameof(IdentityRow.Label),
            LearningRate = 0.25f,
            DecreaseLearningRate = false,
            Averaged = false,
            Shuffle = false,
            NumberOfIterations = 1,
        });
        var fitted = trainer.Fit(rows);
        if (fitted.Model.Weights.Count != 1 || fitted.Model.Weights[0] != 1f || fitted.Model.Bias != 0f)
            throw new InvalidOperationException($"The identity regression came out as {fitted.Model.Weights[0]} s + {fitted.Model.Bias}, not s.");
        return fitted;
    }

    private sealed class IdentityRow
    {
        [ColumnName(ScoreVectorColumnName)]
        [VectorType(1)]
        public float[] Score { get; set; } = [];

        public float Label { get; set; }
    }
}
