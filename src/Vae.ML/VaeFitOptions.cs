using Vae.Core;

namespace Vae.ML;

/// <summary>
/// The settings shared by the ML.NET estimators that train a variational autoencoder on a float vector column with
/// Vae.Core's <see cref="VaeTrainer"/>: the architecture, the likelihood, the standardisation and the training loop.
/// </summary>
public abstract class VaeFitOptions
{
    /// <summary>The name of the input column, a known-size vector of <see cref="float"/>.</summary>
    /// <value>Defaults to <c>"Features"</c>.</value>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Widths of the encoder's hidden layers, input side first (the decoder mirrors them); null for the default.</summary>
    /// <value>Defaults to null: one hidden layer of twice the features, clamped to [16, 256], as Vae.Core's <c>TabularAnomalyModel.DefaultModelOptions</c>.</value>
    public IReadOnlyList<int>? HiddenSizes { get; set; }

    /// <summary>The size of the latent code; null for the default.</summary>
    /// <value>Defaults to null: a quarter of the features, clamped to [2, 16].</value>
    public int? LatentSize { get; set; }

    /// <summary>The likelihood p(x|z) of the decoder.</summary>
    /// <value>
    /// Defaults to <see cref="VaeLikelihood.Gaussian"/> with a learned variance per feature (starting at 1), for real-valued
    /// features. <see cref="VaeLikelihood.Bernoulli"/> suits features in [0, 1]; <see cref="VaeLikelihood.ContinuousBernoulli"/>
    /// is not supported (its saved graph is not written).
    /// </value>
    public VaeLikelihood Likelihood { get; set; } = VaeLikelihood.Gaussian;

    /// <summary>
    /// Whether each feature is standardised with the training rows' mean and standard deviation before the model sees
    /// it (the scaling is part of the fitted model, so raw rows are scored); null for the default.
    /// </summary>
    /// <value>Defaults to null: true for the Gaussian likelihood, false for the Bernoulli one (whose features must lie in [0, 1]).</value>
    public bool? Standardize { get; set; }

    /// <summary>Passes over the training rows.</summary>
    /// <value>Defaults to 200.</value>
    public int Epochs { get; set; } = 200;

    /// <summary>Rows per optimisation step.</summary>
    /// <value>Defaults to 32.</value>
    public int BatchSize { get; set; } = 32;

    /// <summary>Adam's learning rate.</summary>
    /// <value>Defaults to 0.001.</value>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Seeds the initial weights (libtorch's global generator) and the trainer's shuffling: the same seed and data give the same model.</summary>
    /// <value>Defaults to 1.</value>
    public long Seed { get; set; } = 1;

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public virtual void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
        if (HiddenSizes is not null && HiddenSizes.Any(size => size <= 0))
            throw new ArgumentOutOfRangeException(nameof(HiddenSizes), $"Every hidden size must be positive, but they are [{string.Join(", ", HiddenSizes)}].");
        if (LatentSize is <= 0) throw new ArgumentOutOfRangeException(nameof(LatentSize), LatentSize, "The latent size must be positive.");
        if (Likelihood is not (VaeLikelihood.Gaussian or VaeLikelihood.Bernoulli))
            throw new ArgumentException($"The likelihood {Likelihood} is not supported by Vae.ML: use Gaussian or Bernoulli.", nameof(Likelihood));
        if (Likelihood == VaeLikelihood.Bernoulli && Standardize == true)
            throw new ArgumentException("A Bernoulli likelihood takes features in [0, 1]; standardised features are not. Leave Standardize unset (false) for it.", nameof(Standardize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
    }

    internal bool StandardizesFeatures => Standardize ?? Likelihood == VaeLikelihood.Gaussian;

    internal VaeOptions ModelOptions(int featureCount)
    {
        var defaults = Vae.Core.Data.TabularAnomalyModel.DefaultModelOptions(featureCount);
        return defaults with
        {
            HiddenSizes = HiddenSizes?.ToArray() ?? defaults.HiddenSizes,
            LatentSize = LatentSize ?? defaults.LatentSize,
            Likelihood = Likelihood,
            LearnGaussianVariance = Likelihood == VaeLikelihood.Gaussian,
        };
    }

    internal VaeTrainerOptions TrainerOptions() => new()
    {
        Epochs = Epochs,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        Seed = Seed,
    };
}

/// <summary>The settings of <see cref="VaeAnomalyDetectionTrainer"/>.</summary>
public sealed class VaeAnomalyDetectionOptions : VaeFitOptions
{
    /// <summary>How a row is scored.</summary>
    /// <value>
    /// Defaults to <see cref="AnomalyScoreKind.NegativeElboAtMean"/>, the negative ELBO at the posterior mean in nats, the
    /// only kind the saved model computes (the importance-weighted score draws random samples, which the ONNX graph does not).
    /// </value>
    public AnomalyScoreKind ScoreKind { get; set; } = AnomalyScoreKind.NegativeElboAtMean;

    /// <summary>The percentile in [0, 100] of the training rows' scores used as the threshold of <c>PredictedLabel</c>.</summary>
    /// <value>Defaults to 99: about 1% of rows like the training rows are flagged.</value>
    public double ThresholdPercentile { get; set; } = 99;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (ScoreKind != AnomalyScoreKind.NegativeElboAtMean)
            throw new NotSupportedException($"Vae.ML scores with {AnomalyScoreKind.NegativeElboAtMean} only: the saved ML.NET model is an ONNX graph, which does not draw the samples {ScoreKind} needs.");
        if (double.IsNaN(ThresholdPercentile) || ThresholdPercentile is < 0 or > 100)
            throw new ArgumentOutOfRangeException(nameof(ThresholdPercentile), ThresholdPercentile, "The percentile must lie in [0, 100].");
    }
}

/// <summary>The settings of <see cref="VaeEncodeEstimator"/>.</summary>
public sealed class VaeEncodeOptions : VaeFitOptions
{
    /// <summary>The name of the output column, a vector of <see cref="float"/>.</summary>
    /// <value>Defaults to <c>"Latent"</c>.</value>
    public string OutputColumnName { get; set; } = "Latent";

    /// <summary>Whether the output holds the posterior log-variances after the means (twice the latent size).</summary>
    /// <value>Defaults to false: the means alone.</value>
    public bool IncludeLogVariance { get; set; }
}
