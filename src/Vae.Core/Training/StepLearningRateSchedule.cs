namespace Vae.Core;

/// <summary>
/// Multiplies the learning rate by <see cref="Gamma"/> every <see cref="StepEpochs"/> epochs, as PyTorch's <c>StepLR</c>
/// stepped once per epoch: epoch e (from 1) trains at <c>LearningRate * Gamma^floor((e - 1) / StepEpochs)</c>.
/// </summary>
public sealed record StepLearningRateSchedule : LearningRateSchedule
{
    /// <summary>Epochs between two decays; 10 by default.</summary>
    /// <value>Defaults to <c>10</c>.</value>
    public int StepEpochs { get; init; } = 10;

    /// <summary>The factor of each decay, in (0, 1]; 0.1 by default.</summary>
    /// <value>Defaults to <c>0.1</c>.</value>
    public double Gamma { get; init; } = 0.1;

    /// <inheritdoc />
    public override void Validate()
    {
        if (StepEpochs <= 0) throw Bad(nameof(StepLearningRateSchedule), nameof(StepEpochs), StepEpochs, "must be at least 1");
        if (!double.IsFinite(Gamma) || Gamma <= 0 || Gamma > 1) throw Bad(nameof(StepLearningRateSchedule), nameof(Gamma), Gamma, "must lie in (0, 1]");
    }

    /// <summary>The rate of epoch <paramref name="epoch"/> (from 1) for a base rate <paramref name="learningRate"/>.</summary>
    internal double At(double learningRate, int epoch) => learningRate * Math.Pow(Gamma, (epoch - 1) / StepEpochs);

    internal override double StartOfEpoch(double learningRate, int epoch, int runEpochs, double? lastRate) => At(learningRate, epoch);
}
