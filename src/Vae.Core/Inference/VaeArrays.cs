using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Arrays in, arrays out: the common calls of <see cref="VariationalAutoencoder"/>, <see cref="VaeTrainer"/> and
/// <see cref="AnomalyDetector"/> for data held in <c>float[]</c>, <c>float[][]</c>, <c>float[,]</c> and their
/// <c>double</c> counterparts, with no tensor in sight.
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
/// to <c>float</c> on the way in, and results come back as <c>double</c> (widened from float) for <c>double</c> data.
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
    /// <summary>The posterior means (latent codes) of samples given as <c>float[][]</c> (one array per sample).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One code of LatentSize values per sample, in the same shape of array.</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static float[][] Encode(this VariationalAutoencoder model, float[][] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatRows(model.Encode(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of samples given as <c>float[][]</c>.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One reconstruction of InputSize values per sample, in the same shape of array (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static float[][] Reconstruct(this VariationalAutoencoder model, float[][] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatRows(model.Reconstruct(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The anomaly score of each sample given as <c>float[][]</c>, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One score per sample, in order; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static double[] Score(this AnomalyDetector detector, float[][] samples, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Rows(detector.Model, samples, detector.Model.Options.InputSize, nameof(samples)), generator);
    }

    /// <summary>Scores each sample given as <c>float[][]</c> and compares it with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One result per sample, in order.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static IReadOnlyList<AnomalyResult> Detect(this AnomalyDetector detector, float[][] samples, Generator? generator = null) =>
        detector.Score(samples, generator).Select(score => new AnomalyResult(score, score > detector.Threshold)).ToArray();

    /// <summary>
    /// Trains on samples given as <c>float[][]</c> (see <see cref="VaeTrainer.Fit(Tensor, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>);
    /// the data is converted to one tensor of the model's type once.
    /// </summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="train">Training samples of InputSize values each, in [0, 1] for a Bernoulli model and finite for a Gaussian one.</param>
    /// <param name="validation">Held-out samples for the per-epoch validation loss, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range, or there are no rows.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    public static TrainingResult Fit(this VaeTrainer trainer, float[][] train, float[][]? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var model = trainer.Model;
        using var scope = NewDisposeScope();
        var trainTable = ArrayTable.Rows(model, train, model.Options.InputSize, nameof(train));
        var validationTable = validation is null ? null : ArrayTable.Rows(model, validation, model.Options.InputSize, nameof(validation));
        return trainer.Fit(trainTable, validationTable, progress, cancellationToken);
    }

    /// <summary>The posterior means (latent codes) of samples given as <c>float[,]</c> (one row per sample).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One code of LatentSize values per sample, in the same shape of array.</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static float[,] Encode(this VariationalAutoencoder model, float[,] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatMatrix(model.Encode(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of samples given as <c>float[,]</c>.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One reconstruction of InputSize values per sample, in the same shape of array (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static float[,] Reconstruct(this VariationalAutoencoder model, float[,] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatMatrix(model.Reconstruct(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The anomaly score of each sample given as <c>float[,]</c>, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One score per sample, in order; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static double[] Score(this AnomalyDetector detector, float[,] samples, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Rows(detector.Model, samples, detector.Model.Options.InputSize, nameof(samples)), generator);
    }

    /// <summary>Scores each sample given as <c>float[,]</c> and compares it with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One result per sample, in order.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static IReadOnlyList<AnomalyResult> Detect(this AnomalyDetector detector, float[,] samples, Generator? generator = null) =>
        detector.Score(samples, generator).Select(score => new AnomalyResult(score, score > detector.Threshold)).ToArray();

    /// <summary>
    /// Trains on samples given as <c>float[,]</c> (see <see cref="VaeTrainer.Fit(Tensor, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>);
    /// the data is converted to one tensor of the model's type once.
    /// </summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="train">Training samples of InputSize values each, in [0, 1] for a Bernoulli model and finite for a Gaussian one.</param>
    /// <param name="validation">Held-out samples for the per-epoch validation loss, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range, or there are no rows.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    public static TrainingResult Fit(this VaeTrainer trainer, float[,] train, float[,]? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var model = trainer.Model;
        using var scope = NewDisposeScope();
        var trainTable = ArrayTable.Rows(model, train, model.Options.InputSize, nameof(train));
        var validationTable = validation is null ? null : ArrayTable.Rows(model, validation, model.Options.InputSize, nameof(validation));
        return trainer.Fit(trainTable, validationTable, progress, cancellationToken);
    }

    /// <summary>The posterior means (latent codes) of one sample given as <c>float[]</c> (one sample).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="sample">InputSize values; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>The code, LatentSize values.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values.</exception>
    public static float[] EncodeRow(this VariationalAutoencoder model, float[] sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatRow(model.Encode(ArrayTable.Row(model, sample, model.Options.InputSize, nameof(sample))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of one sample given as <c>float[]</c>.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="sample">InputSize values; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>InputSize values (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values.</exception>
    public static float[] ReconstructRow(this VariationalAutoencoder model, float[] sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatRow(model.Reconstruct(ArrayTable.Row(model, sample, model.Options.InputSize, nameof(sample))));
    }

    /// <summary>The anomaly score of one sample given as <c>float[]</c>, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="sample">InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The score; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values or lies outside the likelihood's range.</exception>
    public static double ScoreRow(this AnomalyDetector detector, float[] sample, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Row(detector.Model, sample, detector.Model.Options.InputSize, nameof(sample)), generator)[0];
    }

    /// <summary>Scores one sample given as <c>float[]</c> and compares the score with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="sample">InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The score and whether it is above the threshold.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values or lies outside the likelihood's range.</exception>
    public static AnomalyResult DetectRow(this AnomalyDetector detector, float[] sample, Generator? generator = null)
    {
        var score = detector.ScoreRow(sample, generator);
        return new AnomalyResult(score, score > detector.Threshold);
    }

    /// <summary>The posterior means (latent codes) of samples given as <c>double[][]</c> (one array per sample).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One code of LatentSize values per sample, in the same shape of array.</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static double[][] Encode(this VariationalAutoencoder model, double[][] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToDoubleRows(model.Encode(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of samples given as <c>double[][]</c>.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One reconstruction of InputSize values per sample, in the same shape of array (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static double[][] Reconstruct(this VariationalAutoencoder model, double[][] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToDoubleRows(model.Reconstruct(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The anomaly score of each sample given as <c>double[][]</c>, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One score per sample, in order; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static double[] Score(this AnomalyDetector detector, double[][] samples, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Rows(detector.Model, samples, detector.Model.Options.InputSize, nameof(samples)), generator);
    }

    /// <summary>Scores each sample given as <c>double[][]</c> and compares it with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One result per sample, in order.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static IReadOnlyList<AnomalyResult> Detect(this AnomalyDetector detector, double[][] samples, Generator? generator = null) =>
        detector.Score(samples, generator).Select(score => new AnomalyResult(score, score > detector.Threshold)).ToArray();

    /// <summary>
    /// Trains on samples given as <c>double[][]</c> (see <see cref="VaeTrainer.Fit(Tensor, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>);
    /// the data is converted to one tensor of the model's type once.
    /// </summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="train">Training samples of InputSize values each, in [0, 1] for a Bernoulli model and finite for a Gaussian one.</param>
    /// <param name="validation">Held-out samples for the per-epoch validation loss, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range, or there are no rows.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    public static TrainingResult Fit(this VaeTrainer trainer, double[][] train, double[][]? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var model = trainer.Model;
        using var scope = NewDisposeScope();
        var trainTable = ArrayTable.Rows(model, train, model.Options.InputSize, nameof(train));
        var validationTable = validation is null ? null : ArrayTable.Rows(model, validation, model.Options.InputSize, nameof(validation));
        return trainer.Fit(trainTable, validationTable, progress, cancellationToken);
    }

    /// <summary>The posterior means (latent codes) of samples given as <c>double[,]</c> (one row per sample).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One code of LatentSize values per sample, in the same shape of array.</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static double[,] Encode(this VariationalAutoencoder model, double[,] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToDoubleMatrix(model.Encode(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of samples given as <c>double[,]</c>.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="samples">Samples of InputSize values each; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>One reconstruction of InputSize values per sample, in the same shape of array (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A row is null or has the wrong number of values; the message names the row and the widths.</exception>
    public static double[,] Reconstruct(this VariationalAutoencoder model, double[,] samples)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToDoubleMatrix(model.Reconstruct(ArrayTable.Rows(model, samples, model.Options.InputSize, nameof(samples))));
    }

    /// <summary>The anomaly score of each sample given as <c>double[,]</c>, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One score per sample, in order; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static double[] Score(this AnomalyDetector detector, double[,] samples, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Rows(detector.Model, samples, detector.Model.Options.InputSize, nameof(samples)), generator);
    }

    /// <summary>Scores each sample given as <c>double[,]</c> and compares it with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="samples">Samples of InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>One result per sample, in order.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range.</exception>
    public static IReadOnlyList<AnomalyResult> Detect(this AnomalyDetector detector, double[,] samples, Generator? generator = null) =>
        detector.Score(samples, generator).Select(score => new AnomalyResult(score, score > detector.Threshold)).ToArray();

    /// <summary>
    /// Trains on samples given as <c>double[,]</c> (see <see cref="VaeTrainer.Fit(Tensor, Tensor?, IProgress{TrainingProgress}?, CancellationToken)"/>);
    /// the data is converted to one tensor of the model's type once.
    /// </summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="train">Training samples of InputSize values each, in [0, 1] for a Bernoulli model and finite for a Gaussian one.</param>
    /// <param name="validation">Held-out samples for the per-epoch validation loss, early stopping and best weights; may be null.</param>
    /// <param name="progress">Receives a report after every batch and at the end of every epoch, on the training thread.</param>
    /// <param name="cancellationToken">Stops between two batches, after writing a checkpoint if a path is set.</param>
    /// <returns>The history of the run and which epoch was best.</returns>
    /// <exception cref="ArgumentException">A row is null, has the wrong number of values, or lies outside the likelihood's range, or there are no rows.</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the checkpoint (if any) is written first.</exception>
    public static TrainingResult Fit(this VaeTrainer trainer, double[,] train, double[,]? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var model = trainer.Model;
        using var scope = NewDisposeScope();
        var trainTable = ArrayTable.Rows(model, train, model.Options.InputSize, nameof(train));
        var validationTable = validation is null ? null : ArrayTable.Rows(model, validation, model.Options.InputSize, nameof(validation));
        return trainer.Fit(trainTable, validationTable, progress, cancellationToken);
    }

    /// <summary>The posterior means (latent codes) of one sample given as <c>double[]</c> (one sample).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="sample">InputSize values; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>The code, LatentSize values.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values.</exception>
    public static double[] EncodeRow(this VariationalAutoencoder model, double[] sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToDoubleRow(model.Encode(ArrayTable.Row(model, sample, model.Options.InputSize, nameof(sample))));
    }

    /// <summary>The reconstructions (means of p(x|z) at the posterior means) of one sample given as <c>double[]</c>.</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="sample">InputSize values; see <see cref="VaeArrays"/> for the conversion.</param>
    /// <returns>InputSize values (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values.</exception>
    public static double[] ReconstructRow(this VariationalAutoencoder model, double[] sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToDoubleRow(model.Reconstruct(ArrayTable.Row(model, sample, model.Options.InputSize, nameof(sample))));
    }

    /// <summary>The anomaly score of one sample given as <c>double[]</c>, in nats (see <see cref="AnomalyDetector.Score"/>).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="sample">InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The score; higher is more anomalous.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values or lies outside the likelihood's range.</exception>
    public static double ScoreRow(this AnomalyDetector detector, double[] sample, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        using var scope = NewDisposeScope();
        return detector.Score(ArrayTable.Row(detector.Model, sample, detector.Model.Options.InputSize, nameof(sample)), generator)[0];
    }

    /// <summary>Scores one sample given as <c>double[]</c> and compares the score with <see cref="AnomalyDetector.Threshold"/>.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="sample">InputSize values in [0, 1] (finite for a Gaussian likelihood).</param>
    /// <param name="generator">Source of the importance samples; unused by <see cref="AnomalyScoreKind.NegativeElboAtMean"/>.</param>
    /// <returns>The score and whether it is above the threshold.</returns>
    /// <exception cref="ArgumentException">The sample has the wrong number of values or lies outside the likelihood's range.</exception>
    public static AnomalyResult DetectRow(this AnomalyDetector detector, double[] sample, Generator? generator = null)
    {
        var score = detector.ScoreRow(sample, generator);
        return new AnomalyResult(score, score > detector.Threshold);
    }

    /// <summary>Draws <paramref name="count"/> codes from the prior N(0, I) and decodes them (see <see cref="VariationalAutoencoder.Sample(int, Generator?)"/>).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="count">How many samples.</param>
    /// <param name="generator">Source of the codes; the global generator when null.</param>
    /// <returns>One array of InputSize values per sample: the means of p(x|z) (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public static float[][] SampleRows(this VariationalAutoencoder model, int count, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatRows(model.Sample(count, generator));
    }

    /// <summary>Decodes latent codes given as one array per code (see <see cref="VariationalAutoencoder.Decode(Tensor)"/>).</summary>
    /// <param name="model">The model; it is not changed.</param>
    /// <param name="codes">Codes of LatentSize values each.</param>
    /// <returns>One array of InputSize values per code: the means of p(x|z) (probabilities for Bernoulli).</returns>
    /// <exception cref="ArgumentException">A code is null or has the wrong number of values.</exception>
    public static float[][] Decode(this VariationalAutoencoder model, float[][] codes)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        return ArrayTable.ToFloatRows(model.Decode(ArrayTable.Rows(model, codes, model.Options.LatentSize, nameof(codes))));
    }
}
