namespace Vae.Core;

/// <summary>
/// How the tensors of a PyTorch <c>state_dict</c> are named. <see cref="PyTorchInterop"/> recognises all three when
/// importing and writes any of them when exporting.
/// </summary>
public enum PyTorchLayout
{
    /// <summary>
    /// Vae.Core's own names (<c>encoder.hidden.fc1.weight</c>, <c>encoder.mean.weight</c>, <c>encoder.logVar.weight</c>,
    /// <c>decoder.layers.fc1.weight</c>, ...): any number of hidden layers, convolutional models and learned Gaussian
    /// variances (<c>decoder.logVariance</c>).
    /// </summary>
    Vae,

    /// <summary>
    /// The PyTorch VAE tutorial's classes: a <c>VAE</c> with an <c>encoder</c> (<c>fc1</c>, <c>fc2_mean</c>,
    /// <c>fc2_logvar</c>) and a <c>decoder</c> (<c>fc1</c>, <c>fc2</c>), ReLU after each <c>fc1</c> and a sigmoid at
    /// the end: an MLP with one hidden layer.
    /// </summary>
    Tutorial,

    /// <summary>
    /// pytorch/examples' <c>vae/main.py</c>: <c>fc1</c>, <c>fc21</c> (mean), <c>fc22</c> (log-variance), <c>fc3</c>,
    /// <c>fc4</c> on one module: an MLP with one hidden layer.
    /// </summary>
    Examples,
}
