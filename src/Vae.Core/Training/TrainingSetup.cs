using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>What a trainer gives the step it asks a model for (<see cref="ITrainableModel.CreateStep"/>).</summary>
public sealed class TrainingSetup
{
    internal TrainingSetup(VaeTrainerOptions options, Generator noise, FlatAdam optimizer)
    {
        Options = options;
        Noise = noise;
        Optimizer = optimizer;
    }

    /// <summary>The trainer's options.</summary>
    public VaeTrainerOptions Options { get; }

    /// <summary>
    /// The generator for every random draw of training (reparameterisation noise, dropout masks): checkpoints save its
    /// state, so a resumed run draws what the uninterrupted run would have drawn. Seeded from <see cref="VaeTrainerOptions.Seed"/> + 1.
    /// </summary>
    public Generator Noise { get; }

    /// <summary>Every trainable parameter, flattened one after another in <see cref="ITrainableModel.TrainableParameters"/> order; the parameters are views of it.</summary>
    public Tensor Parameters => Optimizer.Parameters;

    /// <summary>The gradients, laid out as <see cref="Parameters"/>; each parameter's <c>grad</c> is a view of it while the trainer runs.</summary>
    public Tensor Gradients => Optimizer.Gradients;

    internal FlatAdam Optimizer { get; }
}
