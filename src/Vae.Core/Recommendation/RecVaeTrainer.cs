using Microsoft.Extensions.Logging;

namespace Vae.Core.Recommendation;

/// <summary>
/// Trains a <see cref="RecVae"/> as its reference code does (github.com/ilya-shenbin/RecVAE, run.py): every epoch three
/// encoder passes over the shuffled users (dropout on the normalised input), the prior refreshed, one decoder pass
/// without dropout, each part with its own Adam; NDCG@100 on the validation users after every epoch and the weights of
/// the best epoch at the end. It runs on <see cref="VaeTrainer"/> (one trainer epoch per pass, see
/// <see cref="IPhasedTrainingStep"/>), so it also writes checkpoints that resume bit for bit, runs callbacks, logs, and
/// guards against NaN. The results use Mult-VAE's record types: an epoch there is a RecVAE epoch (its figures those of
/// its decoder pass, its seconds those of all its passes).
/// </summary>
public sealed class RecVaeTrainer : VaeRecommenderTrainer<RecVae>
{
    /// <summary>Creates a trainer.</summary>
    /// <param name="options">How to train; the reference's settings by default.</param>
    /// <param name="logger">Receives a line per epoch and per checkpoint; nothing is logged when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public RecVaeTrainer(RecVaeTrainerOptions? options = null, ILogger? logger = null)
        : base(logger)
    {
        Options = options ?? new RecVaeTrainerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public RecVaeTrainerOptions Options { get; }

    private protected override ITrainableModel CreateTraining(RecVae model) =>
        new RecVaeTraining(model, Options);

    private protected override VaeTrainerOptions TrainerOptions() => Options.ToTrainerOptions();

    private protected override int PassesPerEpoch => Options.PassesPerEpoch;
}
