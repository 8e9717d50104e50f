using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.Core;
using static TorchSharp.torch;

namespace Vae.ML;

/// <summary>The rows of a float vector column, the standardisation fitted to them, and the VAE trained on them.</summary>
internal sealed class VaeFitting : IDisposable
{
    private VaeFitting(VariationalAutoencoder model, float[]? shift, float[]? scale, Tensor features)
    {
        Model = model;
        Shift = shift;
        Scale = scale;
        Features = features;
    }

    public VariationalAutoencoder Model { get; }

    public float[]? Shift { get; }

    public float[]? Scale { get; }

    /// <summary>The training rows as the model sees them (standardised if asked), <c>[N, F]</c>.</summary>
    public Tensor Features { get; }

    public static VaeFitting Fit(IDataView data, VaeFitOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (values, rows, width) = ReadFeatures(data, options.FeatureColumnName);
        float[]? shift = null, scale = null;
        if (options.StandardizesFeatures)
        {
            (shift, scale) = Standardization(values, rows, width);
            Standardize(values, width, shift, scale);
        }
        var features = tensor(values, [rows, width], ScalarType.Float32);
        var modelOptions = options.ModelOptions(width);
        manual_seed(options.Seed);
        var model = new VariationalAutoencoder(modelOptions);
        try
        {
            using (var trainer = new VaeTrainer(model, options.TrainerOptions())) trainer.Fit(features);
            model.eval();
            return new VaeFitting(model, shift, scale, features);
        }
        catch
        {
            model.Dispose();
            features.Dispose();
            throw;
        }
    }

    /// <summary>Checks that <paramref name="name"/> is a known-size float vector and returns its size.</summary>
    public static int FeatureWidth(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(name), $"The data has no column '{name}' (it has {string.Join(", ", schema.Select(c => c.Name))}).");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType number, Size: > 0 } vector || number.RawType != typeof(float))
            throw new ArgumentOutOfRangeException(nameof(name), $"The column '{name}' must be a known-size vector of Single, but is {column.Type}.");
        return vector.Size;
    }

    /// <summary>The same check on an estimator's input schema.</summary>
    public static void CheckShape(SchemaShape inputSchema, string name)
    {
        var matches = inputSchema.Where(c => c.Name == name).ToArray();
        if (matches.Length == 0) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The data has no column '{name}'.");
        var column = matches[^1];
        if (column.Kind != SchemaShape.Column.VectorKind.Vector || column.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The column '{name}' must be a known-size vector of Single, but is {column.ItemType} ({column.Kind}).");
    }

    public static (float[] Values, int Rows, int Width) ReadFeatures(IDataView data, string name)
    {
        var width = FeatureWidth(data.Schema, name);
        var values = new List<float>();
        var rows = 0;
        var column = data.Schema[name];
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var buffer = default(VBuffer<float>);
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                foreach (var value in buffer.DenseValues())
                {
                    if (!float.IsFinite(value)) throw new ArgumentException($"Row {rows} of the column '{name}' holds {value}: the features must be finite.", nameof(data));
                    values.Add(value);
                }
                rows++;
            }
        }
        if (rows == 0) throw new ArgumentException($"The data has no rows to train on.", nameof(data));
        return (values.ToArray(), rows, width);
    }

    /// <summary>The mean and the inverse standard deviation (population; 1 for a constant feature) of each feature.</summary>
    public static (float[] Shift, float[] Scale) Standardization(float[] values, int rows, int width)
    {
        var mean = new double[width];
        var square = new double[width];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < width; c++) mean[c] += values[r * width + c];
        for (var c = 0; c < width; c++) mean[c] /= rows;
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < width; c++)
            {
                var d = values[r * width + c] - mean[c];
                square[c] += d * d;
            }
        var shift = new float[width];
        var scale = new float[width];
        for (var c = 0; c < width; c++)
        {
            var sd = Math.Sqrt(square[c] / rows);
            shift[c] = (float)mean[c];
            scale[c] = sd > 0 ? (float)(1 / sd) : 1f;
        }
        return (shift, scale);
    }

    /// <summary>Standardises rows in place, in float, as the saved graph does.</summary>
    public static void Standardize(float[] values, int width, float[] shift, float[] scale)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var c = i % width;
            values[i] = (values[i] - shift[c]) * scale[c];
        }
    }

    public void Dispose() => Features.Dispose();
}
