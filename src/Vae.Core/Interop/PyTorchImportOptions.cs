namespace Vae.Core;

/// <summary>
/// What a state dict cannot tell <see cref="PyTorchInterop.Import(string, PyTorchImportOptions?)"/> by itself. Every
/// property has a default, so a file in any of the three layouts loads without options.
/// </summary>
public sealed record PyTorchImportOptions
{
    /// <summary>The layout to read; null (the default) recognises it from the keys.</summary>
    public PyTorchLayout? Layout { get; init; }

    /// <summary>
    /// The likelihood of the model, which no tensor records: Bernoulli (the default, the tutorial's and pytorch/examples'
    /// sigmoid output) or Gaussian. A Vae-layout file with <c>decoder.logVariance</c> is Gaussian with learned variances
    /// whatever this says.
    /// </summary>
    public VaeLikelihood Likelihood { get; init; } = VaeLikelihood.Bernoulli;

    /// <summary>The fixed variance of a Gaussian likelihood (see <see cref="VaeOptions.GaussianVariance"/>).</summary>
    public double GaussianVariance { get; init; } = 1.0;

    /// <summary>
    /// The exact architecture, for what shapes cannot say (a convolutional model's image size); null (the default)
    /// infers an MLP from the shapes. The file must then match these options exactly.
    /// </summary>
    public VaeOptions? Architecture { get; init; }
}
