using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>What <see cref="ITrainingCallback.OnEpochEnd"/> sees of the run, and its way to stop it.</summary>
public sealed class EpochContext
{
    internal EpochContext(ITrainableModel trainedModel, EpochSummary summary, IReadOnlyList<EpochSummary> history, int epochs, long globalStep, Tensor? validation)
    {
        TrainedModel = trainedModel;
        Model = (trainedModel as AutoencoderTraining)?.Model;
        Validation = validation;
        Summary = summary;
        History = history;
        Epochs = epochs;
        GlobalStep = globalStep;
    }

    /// <summary>
    /// The variational autoencoder being trained, in training mode (a callback that runs it for inference switches it to
    /// <c>eval()</c> and back); null when the trainer trains another kind of model (see <see cref="TrainedModel"/>).
    /// </summary>
    public VariationalAutoencoder? Model { get; }

    /// <summary>The model being trained, whatever its kind.</summary>
    public ITrainableModel TrainedModel { get; }

    /// <summary>
    /// The validation tensor given to <c>Fit</c> (converted to the model's floating type if it was of another), or null
    /// (also when the validation data is not a tensor);
    /// for a callback's own metrics or pictures. It belongs to the run: read it, do not change or dispose it.
    /// </summary>
    public Tensor? Validation { get; }

    /// <summary>The epoch just finished (also the last entry of <see cref="History"/>).</summary>
    public EpochSummary Summary { get; }

    /// <summary>Every epoch so far, this one included (and those before a resume).</summary>
    public IReadOnlyList<EpochSummary> History { get; }

    /// <summary>The number of epochs the run aims for (<see cref="VaeTrainerOptions.Epochs"/>).</summary>
    public int Epochs { get; }

    /// <summary>Optimizer steps over the whole run so far.</summary>
    public long GlobalStep { get; }

    /// <summary>Whether a callback asked to stop after this epoch.</summary>
    public bool StopRequested => StopReason is not null;

    /// <summary>Why, as the first callback to ask said; null when none did.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Ends the run after this epoch; the first reason given is kept (later callbacks still run).</summary>
    /// <param name="reason">Why, for the log and <see cref="TrainingResult.StopReason"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null or blank.</exception>
    public void RequestStop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        StopReason ??= reason;
    }
}
