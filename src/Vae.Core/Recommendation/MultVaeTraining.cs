using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// <see cref="MultVae"/> as a model <see cref="VaeTrainer"/> trains: its parameters by name, and <see cref="MultVaeStep"/>
/// (the sparse input layer and the fused catalogue-sized output layer) as its step; validation is NDCG@100.
/// </summary>
internal sealed class MultVaeTraining(MultVae model, double l2Regularization, int evaluationBatchSize) : ITrainableModel
{
    /// <summary>The figure validation reports and early stopping follows (as its negative).</summary>
    public const string ValidationMetric = "ndcg@100";

    public MultVae Model { get; } = model;

    // The item ids are part of what the model is: the same shapes over another catalogue are another model.
    public string Architecture { get; } =
        $"Mult-VAE {{ HiddenSizes = [{string.Join(", ", model.Options.HiddenSizes)}], LatentSize = {model.Options.LatentSize}, " +
        $"InputDropout = {model.Options.InputDropout:R}, Items = {model.ItemCount} (ids SHA-256 {model.Catalogue.IdsHash()}) }}";

    public IReadOnlyList<Parameter> TrainableParameters => Model.Parameters;

    public IReadOnlyDictionary<string, Tensor> Weights => Model.NamedParameters;

    // Dropout is the step's (on the input weights); there are no modules with modes.
    public IDisposable EnterTrainingMode() => NoTrainingModes.Instance;

    public ITrainingStep CreateStep(TrainingSetup setup) => new MultVaeStep(Model, setup, l2Regularization, evaluationBatchSize);
}
