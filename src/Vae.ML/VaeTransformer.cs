using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.Core;

namespace Vae.ML;

/// <summary>
/// A fitted Vae.ML transformer: ML.NET's own ONNX transformer over a graph Vae.Core writes from the trained model, so
/// that <c>mlContext.Model.Save</c> stores the graph inside the model zip and <c>mlContext.Model.Load</c> reads it back in
/// any process that references Microsoft.ML.OnnxTransformer, with no Vae.ML code and no registration.
/// </summary>
/// <remarks>
/// ML.NET loads a saved transformer through a loader registered in its component catalog, which third-party assemblies
/// can only join through <c>ComponentCatalog.RegisterAssembly</c> at load time. This transformer therefore saves itself as
/// its inner ONNX transformer: a loaded model is that ONNX transformer (an <see cref="ITransformer"/> of ML.NET's), and
/// it computes the same columns. The trained <see cref="Model"/> lives only in the fitted object; dispose it when done.
/// </remarks>
public abstract class VaeTransformer : ITransformer, IDisposable
{
    private readonly ITransformer inner;

    private protected VaeTransformer(ITransformer inner, VariationalAutoencoder model, float[]? shift, float[]? scale, byte[] onnxModel)
    {
        this.inner = inner;
        Model = model;
        FeatureShift = shift;
        FeatureScale = scale;
        OnnxModel = onnxModel;
    }

    /// <summary>The trained VAE, on the CPU in evaluation mode; it sees standardised features when <see cref="FeatureShift"/> is set.</summary>
    public VariationalAutoencoder Model { get; }

    /// <summary>The training means subtracted from each feature before the model sees it; null when the features are not standardised.</summary>
    public IReadOnlyList<float>? FeatureShift { get; }

    /// <summary>The inverse training standard deviations multiplying each shifted feature; null when the features are not standardised.</summary>
    public IReadOnlyList<float>? FeatureScale { get; }

    /// <summary>The serialized ONNX graph this transformer runs (and saves).</summary>
    public IReadOnlyList<byte> OnnxModel { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => inner.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inner.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => inner.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => inner.Transform(input);

    /// <summary>Saves the inner ONNX transformer, so that the saved model loads without Vae.ML.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => inner.Save(ctx);

    /// <summary>Disposes the trained model and the inner ONNX session.</summary>
    public void Dispose()
    {
        Model.Dispose();
        (inner as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// The fitted <see cref="VaeAnomalyDetectionTrainer"/>: adds <c>Score</c> (<see cref="float"/>, the negative ELBO at
/// the posterior mean in nats, higher is more anomalous) and <c>PredictedLabel</c> (<see cref="bool"/>, score above
/// <see cref="Threshold"/>), the columns ML.NET's anomaly-detection evaluator reads.
/// </summary>
public sealed class VaeAnomalyDetectionTransformer : VaeTransformer
{
    internal VaeAnomalyDetectionTransformer(ITransformer inner, VariationalAutoencoder model, float[]? shift, float[]? scale, byte[] onnxModel, double threshold)
        : base(inner, model, shift, scale, onnxModel) => Threshold = threshold;

    /// <summary>Scores above this are anomalous: the chosen percentile of the training rows' scores.</summary>
    public double Threshold { get; }
}

/// <summary>The fitted <see cref="VaeEncodeEstimator"/>: adds the posterior means (and optionally log-variances) of each row as a float vector column.</summary>
public sealed class VaeEncodeTransformer : VaeTransformer
{
    internal VaeEncodeTransformer(ITransformer inner, VariationalAutoencoder model, float[]? shift, float[]? scale, byte[] onnxModel)
        : base(inner, model, shift, scale, onnxModel)
    {
    }
}
