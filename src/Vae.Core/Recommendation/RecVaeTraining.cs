using System.Security.Cryptography;
using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// <see cref="RecVae"/> as a model <see cref="VaeTrainer"/> trains: its parameters in two groups (encoder, decoder),
/// every tensor training changes by name (the prior's frozen encoder among them), and <see cref="RecVaeStep"/>.
/// </summary>
internal sealed class RecVaeTraining(RecVae model, int encoderPasses, int decoderPasses, int evaluationBatchSize) : ITrainableModel
{
    public RecVae Model { get; } = model;

    public string Architecture { get; } =
        $"RecVAE {{ {model.Options}, Items = {model.ItemCount} (ids SHA-256 {IdsHash(model.ItemIds)}), Passes = {encoderPasses}+{decoderPasses} }}";

    public IReadOnlyList<Parameter> TrainableParameters => Model.Parameters;

    public IReadOnlyDictionary<string, Tensor> Weights => Model.NamedWeights;

    public IDisposable EnterTrainingMode() => NoModes.Instance;

    public ITrainingStep CreateStep(TrainingSetup setup) => new RecVaeStep(Model, setup, encoderPasses, decoderPasses, evaluationBatchSize);

    private static string IdsHash(IReadOnlyList<string> ids)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in ids)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(id));
            sha.AppendData([0]);
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    private sealed class NoModes : IDisposable
    {
        public static readonly NoModes Instance = new();

        public void Dispose()
        {
        }
    }
}
