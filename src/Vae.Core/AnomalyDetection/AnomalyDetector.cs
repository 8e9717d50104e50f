using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>
/// Flags samples that a VAE trained on normal data explains poorly: each sample gets a score (see
/// <see cref="AnomalyScoreKind"/>) and is anomalous when the score exceeds a threshold, usually a high percentile of
/// the scores of held-out normal data (<see cref="Fit"/>).
/// </summary>
/// <example>
/// <code>
/// var detector = AnomalyDetector.Fit(model, normalValidation, percentile: 99);
/// foreach (var result in detector.Detect(batch)) Console.WriteLine($"{result.Score:F1} {result.IsAnomalous}");
/// </code>
/// </example>
public sealed class AnomalyDetector
{
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

    /// <summary>The anomaly score of each sample, in nats (higher is more anomalous).</summary>
    /// <param name="input">Samples <c>[N, InputSize]</c> in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One score per row.</returns>
    /// <exception cref="ArgumentException">The input has the wrong shape or lies outside the likelihood's range.</exception>
    public double[] Score(Tensor input, Generator? generator = null)
    {
        Guard.Features(input, Model.Options.RowWidth, nameof(input));
        Guard.Data(Model.FeaturesOf(input), Model.Options.Likelihood, nameof(input));
        using var scope = NewDisposeScope();
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

    private Tensor NegativeElboAtMean(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (mean, logVar) = Model.Encoder.forward(input);
        var decoded = Model.Decoder.forward(Model.DecoderInput(mean, input));
        var logVariance = Model.Decoder.OutputLogVariance(decoded.dtype, decoded.device);
        var reconstruction = ElboLoss.ReconstructionElementwise(Model.Options.Likelihood, decoded, logVariance, Model.FeaturesOf(input)).sum(1);
        // Under a learned prior the KL has no closed form: its estimate at the posterior mean.
        var kl = Model.LearnedPrior is { } prior
            ? prior.KlEstimate(mean, mean, logVar, Model.Encoder, Reduction.None)
            : ElboLoss.KlUnchecked(mean, logVar, Reduction.None);
        return (reconstruction + kl).MoveToOuterDisposeScope();
    }
}
