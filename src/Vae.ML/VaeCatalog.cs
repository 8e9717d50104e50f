using Microsoft.ML;
using Vae.Core;

namespace Vae.ML;

/// <summary>The Vae.ML entry points on ML.NET's catalogs.</summary>
public static class VaeCatalog
{
    /// <summary>
    /// A variational-autoencoder anomaly detector over the float vector column <paramref name="featureColumnName"/>,
    /// every other setting at its default (see <see cref="VaeAnomalyDetectionOptions"/>).
    /// </summary>
    /// <param name="catalog">The anomaly-detection trainers catalog (<c>mlContext.AnomalyDetection.Trainers</c>).</param>
    /// <param name="featureColumnName">The input column, a known-size vector of <see cref="float"/>.</param>
    /// <returns>The trainer; its fitted transformer adds <c>Score</c> and <c>PredictedLabel</c>.</returns>
    public static VaeAnomalyDetectionTrainer Vae(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, string featureColumnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VaeAnomalyDetectionTrainer(new VaeAnomalyDetectionOptions { FeatureColumnName = featureColumnName });
    }

    /// <summary>A variational-autoencoder anomaly detector with the given settings.</summary>
    /// <param name="catalog">The anomaly-detection trainers catalog (<c>mlContext.AnomalyDetection.Trainers</c>).</param>
    /// <param name="options">The column, architecture, likelihood, training loop, score and threshold.</param>
    /// <returns>The trainer; its fitted transformer adds <c>Score</c> and <c>PredictedLabel</c>.</returns>
    public static VaeAnomalyDetectionTrainer Vae(this AnomalyDetectionCatalog.AnomalyDetectionTrainers catalog, VaeAnomalyDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VaeAnomalyDetectionTrainer(options);
    }

    /// <summary>
    /// Trains a VAE on <paramref name="inputColumnName"/> and adds its latent code (posterior means, then the
    /// log-variances if <paramref name="includeLogVariance"/>) as the float vector column <paramref name="outputColumnName"/>;
    /// every other setting at its default (see <see cref="VaeEncodeOptions"/>).
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">The new column.</param>
    /// <param name="inputColumnName">The input column, a known-size vector of <see cref="float"/>.</param>
    /// <param name="includeLogVariance">Whether the log-variances follow the means.</param>
    /// <returns>The estimator.</returns>
    public static VaeEncodeEstimator VaeEncode(this TransformsCatalog catalog, string outputColumnName = "Latent", string inputColumnName = "Features", bool includeLogVariance = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VaeEncodeEstimator(new VaeEncodeOptions { OutputColumnName = outputColumnName, FeatureColumnName = inputColumnName, IncludeLogVariance = includeLogVariance });
    }

    /// <summary>Trains a VAE with the given settings and adds its latent code as a float vector column.</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The columns, architecture, likelihood and training loop.</param>
    /// <returns>The estimator.</returns>
    public static VaeEncodeEstimator VaeEncode(this TransformsCatalog catalog, VaeEncodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VaeEncodeEstimator(options);
    }
}
