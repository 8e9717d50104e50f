using TorchSharp.Modules;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// <see cref="VariationalAutoencoder"/> as a model <see cref="VaeTrainer"/> trains: its state dictionary, its modules'
/// modes, and the fused CPU step where the kernels cover the model and options, the autograd step everywhere else.
/// </summary>
internal sealed class AutoencoderTraining(VariationalAutoencoder model) : ITrainableModel
{
    public VariationalAutoencoder Model { get; } = model;

    public string Architecture => Model.Options.ToString();

    public IReadOnlyList<Parameter> TrainableParameters { get; } = model.parameters().ToArray();

    public IReadOnlyDictionary<string, Tensor> Weights => Model.state_dict();

    public IDisposable EnterTrainingMode() => new ModuleModes(Model);

    public ITrainingStep CreateStep(TrainingSetup setup) =>
        FusedSteps.TryCreate(Model, setup.Options, setup.Parameters, setup.Gradients) is { } kernels
            ? new FusedTrainingStep(Model, kernels, setup.Optimizer, setup.Options, setup.Noise)
            : new AutogradTrainingStep(Model, setup.Optimizer, setup.Options, setup.Noise);

    // Training switches the model to training mode; afterwards (or on an exception) every module gets back the mode the
    // caller left it in, so that a model in evaluation mode before Fit is still in it after.
    private sealed class ModuleModes : IDisposable
    {
        private readonly (nn.Module Module, bool Training)[] modes;

        public ModuleModes(VariationalAutoencoder model)
        {
            modes = [(model, model.training), .. model.named_modules().Select(pair => (pair.module, pair.module.training))];
            model.train();
        }

        // Pre-order: a parent's train() sets its children, then each child gets its own mode back.
        public void Dispose()
        {
            foreach (var (module, training) in modes) module.train(training);
        }
    }
}
