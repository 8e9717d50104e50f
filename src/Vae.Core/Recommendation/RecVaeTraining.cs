using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// <see cref="RecVae"/> as a model <see cref="VaeTrainer"/> trains: its parameters in two groups (encoder, decoder),
/// every tensor training changes by name (the prior's frozen encoder among them), and <see cref="RecVaeStep"/>.
/// </summary>
internal sealed class RecVaeTraining(RecVae model, RecVaeTrainerOptions options) : ITrainableModel
{
    public RecVae Model { get; } = model;

    public string Architecture { get; } =
        $"RecVAE {{ {model.Options}, Items = {model.ItemCount} (ids SHA-256 {model.Catalogue.IdsHash()}), Passes = {options.EncoderPasses}+{options.DecoderPasses}" +
        // Only when set, so that the checkpoints of the reference's loss keep the architecture they were written with.
        (options.PredictDroppedClicks ? ", Encoder reconstructs the dropped clicks" : "") + " }";

    public IReadOnlyList<Parameter> TrainableParameters => Model.Parameters;

    public IReadOnlyDictionary<string, Tensor> Weights => Model.NamedWeights;

    public IDisposable EnterTrainingMode() => NoTrainingModes.Instance;

    public ITrainingStep CreateStep(TrainingSetup setup) => new RecVaeStep(Model, setup, options);
}
