namespace Vae.Core;

/// <summary>
/// Code that <see cref="VaeTrainer"/> runs at the end of every epoch and after every checkpoint it writes (give it in
/// <see cref="VaeTrainerOptions.Callbacks"/>). Both methods run on the training thread, between two epochs or at a
/// checkpoint, and have empty defaults: implement the ones you need. An exception thrown here ends <c>Fit</c> with it;
/// the checkpoint of that epoch, if one was due, is already written when <see cref="OnCheckpointSaved"/> runs.
/// </summary>
/// <example>
/// A custom early-stopping rule:
/// <code>
/// sealed class StopBelow(double target) : ITrainingCallback
/// {
///     public void OnEpochEnd(EpochContext context)
///     {
///         if (context.Summary.Validation?.Loss &lt; target) context.RequestStop($"validation loss below {target}");
///     }
/// }
/// </code>
/// </example>
public interface ITrainingCallback
{
    /// <summary>
    /// Called once an epoch is trained, validated and recorded in the history (its learning rate and best-weight
    /// bookkeeping done), before its checkpoint is written. Call <see cref="EpochContext.RequestStop"/> to end the run
    /// after this epoch: the trainer then writes its checkpoint as at any end, restores the best weights if asked, and
    /// returns with <see cref="TrainingResult.StoppedEarly"/> set.
    /// </summary>
    /// <param name="context">The epoch, the model and the way to stop.</param>
    void OnEpochEnd(EpochContext context)
    {
    }

    /// <summary>
    /// Called after the trainer wrote a checkpoint on its own (every <see cref="VaeTrainerOptions.CheckpointEveryEpochs"/>
    /// epochs, at the end, on cancellation); not after the caller's own <see cref="VaeTrainer.SaveCheckpoint"/>.
    /// </summary>
    /// <param name="path">The checkpoint file, complete and in place.</param>
    void OnCheckpointSaved(string path)
    {
    }
}
