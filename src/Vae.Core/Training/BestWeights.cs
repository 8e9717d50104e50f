using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The weights of the epoch with the lowest validation loss so far (copies, owned here), that loss, and how many
/// epochs have passed since it was reached: what early stopping and the restore of the best weights need.
/// </summary>
internal sealed class BestWeights : IDisposable
{
    private Dictionary<string, Tensor>? weights;

    /// <summary>The lowest validation loss so far; +infinity before the first validation.</summary>
    public double Loss { get; private set; } = double.PositiveInfinity;

    /// <summary>Validated epochs since the one with <see cref="Loss"/>.</summary>
    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>The copies (for a checkpoint), or null before the first validation.</summary>
    public Dictionary<string, Tensor>? Weights => weights;

    /// <summary>Keeps a copy of <paramref name="model"/>'s weights if <paramref name="validationLoss"/> (lower is better) beats the best so far (NaN never does).</summary>
    /// <returns>Whether it did.</returns>
    public bool Offer(ITrainableModel model, double validationLoss)
    {
        if (!(validationLoss < Loss))
        {
            EpochsWithoutImprovement++;
            return false;
        }
        using (no_grad())
            Replace(model.Weights.ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope()));
        Loss = validationLoss;
        EpochsWithoutImprovement = 0;
        return true;
    }

    /// <summary>Copies the best weights into <paramref name="model"/>; false (and nothing changes) when there are none.</summary>
    public bool RestoreInto(ITrainableModel model)
    {
        if (weights is null) return false;
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.Weights) tensor.copy_(weights[name]);
        return true;
    }

    /// <summary>Takes over the state a checkpoint stored; <paramref name="taken"/> becomes this object's to dispose.</summary>
    public void Reset(double loss, int epochsWithoutImprovement, Dictionary<string, Tensor>? taken)
    {
        Replace(taken);
        Loss = loss;
        EpochsWithoutImprovement = epochsWithoutImprovement;
    }

    public void Dispose() => Replace(null);

    private void Replace(Dictionary<string, Tensor>? replacement)
    {
        if (weights is not null)
            foreach (var tensor in weights.Values) tensor.Dispose();
        weights = replacement;
    }
}
