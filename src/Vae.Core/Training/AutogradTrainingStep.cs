using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core;

/// <summary>The step through the model's own forward pass and autograd: any architecture, device and floating type.</summary>
internal sealed class AutogradTrainingStep(VariationalAutoencoder model, FlatAdam optimizer, VaeTrainerOptions options, Generator noise) : ITrainingStep
{
    public int Threads { private get; set; } = 1;

    public StepResult Run(TrainingBatch batch, double beta)
    {
        var source = TensorData.Of(batch.Data);
        var data = batch.Rows is { } rows ? source.index_select(0, rows) : source;
        optimizer.ZeroGrad();
        // Summed over the batch like the reference implementation; Adam makes the step size independent of that scale.
        var terms = options.Objective == VaeObjective.Iwae
            ? IwaeObjective.NegativeBound(model, data, options.ImportanceSamples, beta, noise)
            : ElboLoss.NegativeElboUnchecked(model.Forward(data, noise), model.FeaturesOf(data), beta, Reduction.Sum, options.FreeBits);
        terms.Loss.backward();
        // One reduction over all gradients: a NaN or infinity anywhere makes it non-finite.
        var gradients = options.MaxGradientNorm is { } maxNorm ? optimizer.ClipGradientNorm(maxNorm) : optimizer.Gradients.sum();
        // One copy to the CPU for the four figures, in float64 whatever the model's type.
        var values = stack([terms.Loss, terms.Reconstruction, terms.Kl, gradients.to_type(terms.Loss.dtype)])
            .to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        return new StepResult(batch.Count, values[0], values[1], values[2], values[3]);
    }

    public ValidationOutcome Validate(TrainingData validation, long seed) =>
        ValidationOutcome.FromElbo(VaeEvaluation.EvaluateUnchecked(model, TensorData.Of(validation), VaeEvaluation.DefaultBatchSize, seed));

    // Nothing of its own to release: the model, the optimizer and the generator are the trainer's.
    public void Dispose() => GC.SuppressFinalize(this);
}
