using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Arrays in, arrays out: the common calls of <see cref="VariationalAutoencoder"/>, <see cref="VaeTrainer"/> and
/// <see cref="AnomalyDetector"/> for data held in <c>T[]</c>, <c>T[][]</c> and <c>T[,]</c> of any IEEE floating type
/// <c>T</c> (<c>float</c>, <c>double</c>, <c>Half</c>), with no tensor in sight.
/// </summary>
/// <remarks>
/// <para>
/// A <c>float[][]</c> or <c>double[][]</c> holds one array per sample, a <c>float[,]</c> or <c>double[,]</c> one row
/// per sample, a <c>float[]</c> or <c>double[]</c> one sample (the <c>...Row</c> methods: TorchSharp turns a
/// one-dimensional array into a tensor by itself, so <c>Encode(float[])</c> would reach the tensor method); each sample has <see cref="VaeOptions.InputSize"/>
/// values (images flattened channel by channel, row by row). Rows of another width, or of different widths, are refused
/// with an <see cref="ArgumentException"/> naming the row and both widths.
/// </para>
/// <para>
/// Values are converted to the model's floating type: float32 for a model as built, so <c>double</c> data is rounded
/// to <c>float</c> on the way in, and results come back in the data's type (widened from float for <c>double</c>).
/// Each call copies its data once into a tensor and its result once out of one.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// double[][] rows = LoadTable();                           // N rows of InputSize values
/// using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 50 });
/// trainer.Fit(rows);
/// double[][] codes = model.Encode(rows);                   // N x LatentSize
/// double[] scores = AnomalyDetector.Fit(model, validationTensor).Score(rows);
/// </code>
/// </example>
public static class VaeArrays
{
    /// <summary>The posterior means (latent codes) of samples given as one array per sample.</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One code of LatentSize values per sample, in the same shape of array.</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static T[][] Encode<T>(this VariationalAutoencoder model, T[][] samples) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToRows<T>(model.Encode(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The posterior means (latent codes) of samples given as one row per sample.</summary>
    /// <inheritdoc cref="Encode{T}(VariationalAutoencoder, T[][])"/>
    public static T[,] Encode<T>(this VariationalAutoencoder model, T[,] samples) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToMatrix<T>(model.Encode(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The posterior means (latent code) of one sample.</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="sample">InputSize values; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>The code, LatentSize values.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values.</exception>
    public static T[] EncodeRow<T>(this VariationalAutoencoder model, T[] sample) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToRow<T>(model.Encode(ArrayTable.Row(model, sample, model.Options.InputSize, nameof(sample))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of samples given as one array per sample.</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One reconstruction of InputSize values per sample, in the same shape of array (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static T[][] Reconstruct<T>(this VariationalAutoencoder model, T[][] samples) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToRows<T>(model.Reconstruct(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of samples given as one row per sample.</summary>
    /// <inheritdoc cref="Reconstruct{T}(VariationalAutoencoder, T[][])"/>
    public static T[,] Reconstruct<T>(this VariationalAutoencoder model, T[,] samples) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToMatrix<T>(model.Reconstruct(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The reconstruction (mean of p(x|z) at the posterior mean) of one sample.</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="sample">InputSize values; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>InputSize values (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values.</exception>
    public static T[] ReconstructRow<T>(this VariationalAutoencoder model, T[] sample) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToRow<T>(model.Reconstruct(ArrayTable.Row(model, sample, model.Options.InputSize, nameof(sample))));
    }

    /// <summary>The anomaly score of each sample given as one array per sample, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One score per sample, in order; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static double[] Score<T>(this AnomalyDetector detector, T[][] samples, Generator? generator = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Rows(detector.Model, samples, detector.Model.Options.InputSize, nameof(samples)), generator);
    }

    /// <summary>The anomaly score of each sample given as one row per sample, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <inheritdoc cref="Score{T}(AnomalyDetector, T[][], Generator?)"/>
    public static double[] Score<T>(this AnomalyDetector detector, T[,] samples, Generator? generator = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Rows(detector.Model, samples, detector.Model.Options.InputSize, nameof(samples)), generator);
    }

    /// <summary>The anomaly score of one sample, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="detector">The detector.</param>
    /// <param name="sample">InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The score; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values or lies outside the likelihood's range.</exception>
    public static double ScoreRow<T>(this AnomalyDetector detector, T[] sample, Generator? generator = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Row(detector.Model, sample, detector.Model.Options.InputSize, nameof(sample)), generator)[0];
    }

    /// <summary>Scores each sample given as one array per sample and compares it with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One result per sample, in order.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static IReadOnlyList<AnomalyResult> Detect<T>(this AnomalyDetector detector, T[][] samples, Generator? generator = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Results(detector, detector.Score(samples, generator));

    /// <summary>Scores each sample given as one row per sample and compares it with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <inheritdoc cref="Detect{T}(AnomalyDetector, T[][], Generator?)"/>
    public static IReadOnlyList<AnomalyResult> Detect<T>(this AnomalyDetector detector, T[,] samples, Generator? generator = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        Results(detector, detector.Score(samples, generator));

    /// <summary>Scores one sample and compares the score with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="detector">The detector.</param>
    /// <param name="sample">InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The score and whether it is above the threshold.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values or lies outside the likelihood's range.</exception>
    public static AnomalyResult DetectRow<T>(this AnomalyDetector detector, T[] sample, Generator? generator = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var score = detector.ScoreRow(sample, generator);
        return new AnomalyResult(score, score > detector.Threshold);
    }

    /// <summary>
    /// Trains on samples given as one array per sample (see <see cref="VaeTrainer.Fit(Tensor, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>);
    /// the data is converted to one tensor of the model's type once.
    /// </summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="trainer">The trainer.</param>
    /// <param name="train">Training samples of InputSize values each, in [0, 1] for a Bernoulli model and finite for a Gaussian one.</param>
    /// <param name="validation">Held-out samples for the per-epoch validation loss, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range, or there are no rows.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    public static TrainingResult Fit<T>(this VaeTrainer trainer, T[][] train, T[][]? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var model = trainer.Model;
        using var scope = NewDisposeScope();
        var trainTable = ArrayTable.Rows(model, train, model.Options.InputSize, nameof(train));
        var validationTable = validation is null ? null : ArrayTable.Rows(model, validation, model.Options.InputSize, nameof(validation));
        return trainer.Fit(trainTable, validationTable, progress, cancellationToken);
    }

    /// <summary>
    /// Trains on samples given as one row per sample (see <see cref="VaeTrainer.Fit(Tensor, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>);
    /// the data is converted to one tensor of the model's type once.
    /// </summary>
    /// <inheritdoc cref="Fit{T}(VaeTrainer, T[][], T[][], IProgress{TrainingProgress}?, CancellationToken)"/>
    public static TrainingResult Fit<T>(this VaeTrainer trainer, T[,] train, T[,]? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var model = trainer.Model;
        using var scope = NewDisposeScope();
        var trainTable = ArrayTable.Rows(model, train, model.Options.InputSize, nameof(train));
        var validationTable = validation is null ? null : ArrayTable.Rows(model, validation, model.Options.InputSize, nameof(validation));
        return trainer.Fit(trainTable, validationTable, progress, cancellationToken);
    }

    /// <summary>Draws <paramref name="count"/> samples from the model (see <see cref="VariationalAutoencoder.Sample(int, Generator?)"/>) as arrays.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="count">How many samples.</param>
    /// <param name="generator">Source of the codes; the global generator when null.</param>
    /// <returns>One array of InputSize values per sample: the means of p(x|z) (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public static float[][] SampleRows(this VariationalAutoencoder model, int count, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToRows<float>(model.Sample(count, generator));
    }

    /// <summary>Decodes latent codes given as one array per code (see <see cref="VariationalAutoencoder.Decode(Tensor)"/>).</summary>
    /// <typeparam name="T">The values' type: <c>float</c>, <c>double</c> or another IEEE floating type.</typeparam>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="codes">Codes of LatentSize values each.</param>
    /// <returns>One array of InputSize values per code: the means of p(x|z) (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A code is null or has the wrong number of values.</exception>
    public static T[][] Decode<T>(this VariationalAutoencoder model, T[][] codes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToRows<T>(model.Decode(ArrayTable.Rows(model, codes, model.Options.LatentSize, nameof(codes))));
    }

    private static IReadOnlyList<AnomalyResult> Results(AnomalyDetector detector, double[] scores) =>
        scores.Select(score => new AnomalyResult(score, score > detector.Threshold)).ToArray();
}
