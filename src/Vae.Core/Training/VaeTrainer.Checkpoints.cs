using Microsoft.Extensions.Logging;

namespace Vae.Core;

// Checkpoints: writing, restoring and resuming the whole training state.
public sealed partial class VaeTrainer
{
    /// <summary>Writes the complete training state (weights, optimizer, position, random generators, history) atomically.</summary>
    /// <param name="path">The checkpoint file; an existing file is replaced only once the new one is complete.</param>
    /// <exception cref="InvalidOperationException">Another thread is running <c>Fit</c> on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public void SaveCheckpoint(string path)
    {
        using var busy = Enter(reentrant: true);
        var saved = state with { BestValidationLoss = best.Loss, EpochsWithoutImprovement = best.EpochsWithoutImprovement };
        var checkpoint = new TrainingCheckpoint(trainable, model, options, saved, history, optimizer, shuffleGenerator, noiseGenerator, best.Weights, average);
        AtomicFile.Write(path, checkpoint.WriteTo);
        logger.LogDebug(TrainingEvents.CheckpointWritten, "Checkpoint written to {Path} after {Epochs} epoch(s) and {Batches} batch(es)", path, state.CompletedEpochs, state.BatchInEpoch);
    }

    /// <summary>
    /// Restores the state saved by <see cref="SaveCheckpoint"/>, so that <c>Fit</c> continues where that run stopped and
    /// ends with the same weights, bit for bit on the CPU, as a run that was never interrupted.
    /// </summary>
    /// <param name="path">A checkpoint written by <see cref="SaveCheckpoint"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is damaged, or is for another architecture.</exception>
    /// <exception cref="InvalidOperationException"><c>Fit</c> is running on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public void LoadCheckpoint(string path)
    {
        using var busy = Enter(reentrant: false);
        var checkpoint = TrainingCheckpoint.Read(path, trainable, model);
        var bestWeights = checkpoint.TakeBestWeights(trainable); // checked before anything of the trainer changes
        checkpoint.Restore(trainable, model, optimizer, shuffleGenerator, noiseGenerator, average);
        state = checkpoint.State;
        history.Clear();
        history.AddRange(checkpoint.History);
        best.Reset(state.BestValidationLoss, state.EpochsWithoutImprovement, bestWeights);
        logger.LogInformation(TrainingEvents.ResumedFromCheckpoint, "Resumed from {Path} after {Epochs} epoch(s)", path, state.CompletedEpochs);
    }

    /// <summary>
    /// Copies the weights of the epoch with the best validation figure so far into the model (what <c>Fit</c> does at
    /// the end with <see cref="VaeTrainerOptions.RestoreBestWeights"/>), e.g. after a cancelled or diverged run.
    /// </summary>
    /// <returns>False, and the model is unchanged, when no epoch has been validated yet.</returns>
    /// <exception cref="InvalidOperationException">Another thread is running <c>Fit</c> on this trainer.</exception>
    /// <exception cref="ObjectDisposedException">The trainer has been disposed.</exception>
    public bool RestoreBestWeights()
    {
        using var busy = Enter(reentrant: true);
        return best.RestoreInto(trainable);
    }

    /// <summary>
    /// Creates the model and a trainer from a checkpoint alone (the architecture and options are stored in it),
    /// ready for <c>Fit</c> to continue.
    /// </summary>
    /// <param name="path">A checkpoint written by <see cref="SaveCheckpoint"/>.</param>
    /// <param name="adjust">Changes to the stored options, e.g. more epochs; null keeps them.</param>
    /// <param name="logger">As for the constructor.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or is damaged.</exception>
    /// <exception cref="InvalidOperationException">
    /// The checkpoint is of a model with the caller's own encoder and decoder: build that model with them, create a
    /// trainer for it and call <see cref="LoadCheckpoint"/>.
    /// </exception>
    public static VaeTrainer Resume(string path, Func<VaeTrainerOptions, VaeTrainerOptions>? adjust = null, ILogger? logger = null)
    {
        var (architecture, options) = TrainingCheckpoint.ReadOptions(path);
        if (architecture.Architecture == VaeArchitecture.Custom)
            throw new InvalidOperationException(
                $"Checkpoint '{path}' is of a model with your own encoder and decoder ({architecture}), which {nameof(Resume)} cannot build. " +
                $"Create the model with new {nameof(VariationalAutoencoder)}(encoder, decoder, options) from the same modules, a " +
                $"{nameof(VaeTrainer)} for it, and call {nameof(LoadCheckpoint)}(\"{path}\").");
        var model = new VariationalAutoencoder(architecture);
        var trainer = new VaeTrainer(model, adjust is null ? options : adjust(options), logger);
        trainer.LoadCheckpoint(path);
        return trainer;
    }
}
