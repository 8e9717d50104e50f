namespace Vae.Core;

/// <summary>
/// Anneals the learning rate along half a cosine from <see cref="VaeTrainerOptions.LearningRate"/> down to
/// <see cref="MinimumLearningRate"/>, as PyTorch's <c>CosineAnnealingLR</c> stepped once per epoch: epoch e (from 1)
/// trains at <c>min + (LearningRate - min) * (1 + cos(pi * (e - 1) / T)) / 2</c> with T = <see cref="Epochs"/>.
/// After T epochs the rate stays at the minimum (PyTorch's would rise again).
/// </summary>
public sealed record CosineAnnealingSchedule : LearningRateSchedule
{
    /// <summary>The T of the formula, in epochs; null (the default) takes the run's <see cref="VaeTrainerOptions.Epochs"/>, so the last epoch trains near the minimum.</summary>
    /// <value>Defaults to null.</value>
    public int? Epochs { get; init; }

    /// <summary>The rate the cosine ends at; 0 by default.</summary>
    /// <value>Defaults to 0.</value>
    public double MinimumLearningRate { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        if (Epochs is { } epochs && epochs <= 0) throw Bad(nameof(CosineAnnealingSchedule), nameof(Epochs), epochs, "must be at least 1, or null");
        if (!double.IsFinite(MinimumLearningRate) || MinimumLearningRate < 0)
            throw Bad(nameof(CosineAnnealingSchedule), nameof(MinimumLearningRate), MinimumLearningRate, "must be non-negative and finite");
    }

    /// <summary>The rate of epoch <paramref name="epoch"/> (from 1) for a base rate <paramref name="learningRate"/> in a run of <paramref name="runEpochs"/> epochs.</summary>
    internal override double StartOfEpoch(double learningRate, int epoch, int runEpochs, double? lastRate) => At(learningRate, epoch, runEpochs);

    internal double At(double learningRate, int epoch, int runEpochs)
    {
        var period = Epochs ?? runEpochs;
        var t = Math.Min(epoch - 1, period);
        return MinimumLearningRate + (learningRate - MinimumLearningRate) * (1 + Math.Cos(Math.PI * t / period)) / 2;
    }
}
