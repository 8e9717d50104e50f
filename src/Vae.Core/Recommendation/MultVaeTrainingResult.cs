namespace Vae.Core.Recommendation;

/// <summary>The outcome of <see cref="VaeRecommenderTrainer{TModel}.Train(TModel, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/> (of <see cref="MultVaeTrainer"/> and <see cref="RecVaeTrainer"/>).</summary>
/// <param name="Epochs">Every epoch trained, in order.</param>
/// <param name="BestEpoch">The epoch whose weights the model holds: the best validation NDCG@100, or the last epoch without validation users.</param>
/// <param name="BestValidationNdcg">The validation NDCG@100 of <paramref name="BestEpoch"/>, or null without validation users.</param>
/// <param name="StoppedEarly">Whether training stopped before the last epoch because validation stopped improving.</param>
/// <param name="TrainingUsersPerSecond">Training users per second over all optimizer steps, validation excluded (RecVAE: each user counted once per epoch, not once per pass).</param>
public sealed record MultVaeTrainingResult(
    IReadOnlyList<MultVaeEpoch> Epochs, int BestEpoch, double? BestValidationNdcg, bool StoppedEarly, double TrainingUsersPerSecond);
