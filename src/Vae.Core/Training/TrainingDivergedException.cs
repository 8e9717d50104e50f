namespace Vae.Core;

/// <summary>Training met a NaN or infinite loss or gradient; the model keeps the weights of the step before.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for the step that diverged.</summary>
    /// <param name="epoch">Epoch of the step, from 1.</param>
    /// <param name="batch">Batch of the step within its epoch, from 1.</param>
    /// <param name="what">What was not finite.</param>
    public TrainingDivergedException(int epoch, int batch, string what)
        : base($"Training diverged at epoch {epoch}, batch {batch}: {what}. The model keeps the weights from before this step; " +
               "try a lower learning rate, gradient clipping (MaxGradientNorm), or check the data.")
    {
        Epoch = epoch;
        Batch = batch;
    }

    /// <summary>Epoch of the step that diverged, from 1.</summary>
    public int Epoch { get; }

    /// <summary>Batch of the step that diverged within its epoch, from 1.</summary>
    public int Batch { get; }
}
