namespace Vae.Core;

/// <summary>
/// A data set that <see cref="VaeTrainer"/> shuffles and batches for a model's <see cref="ITrainingStep"/>: it knows how
/// many samples it holds, and the step knows how to read a batch of them by their indices. Tensors are given to
/// <c>Fit</c> directly; other kinds of data (a <see cref="Recommendation.ClickMatrix"/> of users' clicks) derive from this.
/// </summary>
public abstract class TrainingData
{
    /// <summary>The number of samples.</summary>
    public abstract long Count { get; }
}
