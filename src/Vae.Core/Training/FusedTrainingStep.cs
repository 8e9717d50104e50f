using TorchSharp;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The step through the library's fused CPU kernels (<see cref="FusedMlpStep"/>, <see cref="FusedConvStep"/>): MLPs and
/// the built-in convolutional networks in float32 on the CPU.
/// </summary>
internal sealed class FusedTrainingStep(VariationalAutoencoder model, IFusedStep kernels, FlatAdam optimizer, VaeTrainerOptions options, Generator noise) : ITrainingStep
{
    private int threads = 1;

    public int Threads
    {
        private get => threads;
        set
        {
            threads = value;
            Probe = options.AdaptCpuThreads && value > 1 ? new ThreadCountProbe(value) : null;
        }
    }

    /// <summary>The choice between <see cref="Threads"/> and half of it (<see cref="VaeTrainerOptions.AdaptCpuThreads"/>), or null.</summary>
    internal ThreadCountProbe? Probe { get; private set; }

    public StepResult Run(TrainingBatch batch, double beta)
    {
        var source = TensorData.Of(batch.Data);
        var stepThreads = Probe?.Begin((int)batch.Count) ?? threads;
        var (loss, reconstruction, kl) = batch.Rows is { } rows
            ? kernels.Run(source, rows, beta, noise, stepThreads)
            : kernels.Run(source.contiguous(), beta, noise, stepThreads);
        Probe?.Finish();
        var gradientCheck = options.MaxGradientNorm is { } maxNorm ? optimizer.ClipGradientNorm(maxNorm).item<float>() : optimizer.SumOfGradients();
        return new StepResult(batch.Count, loss, reconstruction, kl, gradientCheck);
    }

    // Through the kernels when the data suits them: the figures of VaeEvaluation to float rounding, in a third of the time.
    public ValidationOutcome Validate(TrainingData data, long seed)
    {
        var validation = TensorData.Of(data);
        if (validation.dtype != ScalarType.Float32 || validation.device_type != DeviceType.CPU || !validation.is_contiguous())
            return ValidationOutcome.FromElbo(VaeEvaluation.EvaluateUnchecked(model, validation, VaeEvaluation.DefaultBatchSize, seed));
        using var generator = new Generator((ulong)seed, validation.device);
        var (reconstruction, kl) = kernels.Evaluate(validation, VaeEvaluation.DefaultBatchSize, generator, Threads);
        var count = validation.shape[0];
        return ValidationOutcome.FromElbo(new ElboMetrics((reconstruction + kl) / count, reconstruction / count, kl / count));
    }

    public void Dispose() => kernels.Dispose();
}
