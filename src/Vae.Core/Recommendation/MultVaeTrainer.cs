using Microsoft.Extensions.Logging;

namespace Vae.Core.Recommendation;

/// <summary>
/// Trains a <see cref="MultVae"/> as the reference code does (users shuffled every epoch, batches of 500, dropout on
/// the normalised input, a sampled z, the KL weight annealed per step, Adam, NDCG@100 on the validation users after
/// every epoch and the weights of the best epoch at the end), on <see cref="VaeTrainer"/>: so it also writes
/// checkpoints that resume bit for bit (<see cref="MultVaeTrainerOptions.CheckpointPath"/>, <see cref="VaeRecommenderTrainer{TModel}.Resume"/>),
/// runs callbacks (TensorBoard among them), logs, and guards against NaN as every model the library trains does.
/// </summary>
public sealed class MultVaeTrainer : VaeRecommenderTrainer<MultVae>
{
    /// <summary>Creates a trainer.</summary>
    /// <param name="options">How to train; the reference's settings by default.</param>
    /// <param name="logger">Receives a line per epoch and per checkpoint; nothing is logged when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public MultVaeTrainer(MultVaeTrainerOptions? options = null, ILogger? logger = null)
        : base(logger)
    {
        Options = options ?? new MultVaeTrainerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public MultVaeTrainerOptions Options { get; }

    private protected override ITrainableModel CreateTraining(MultVae model) =>
        new MultVaeTraining(model, Options.L2Regularization, Options.EvaluationBatchSize);

    private protected override VaeTrainerOptions TrainerOptions() => Options.ToTrainerOptions();
}
