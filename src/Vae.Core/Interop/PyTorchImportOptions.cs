namespace Vae.Core;

/// <summary>
/// What a state dict cannot tell <see cref="PyTorchInterop.Import(string, PyTorchImportOptions?)"/> by itself. Every
/// property has a default, so a file in any of the three layouts loads without options.
/// </summary>
public sealed record PyTorchImportOptions
{
    /// <summary>The layout to read; null (the default) recognises it from the keys.</summary>
    /// <value>Defaults to null.</value>
    public PyTorchLayout? Layout { get; init; }

    /// <summary>
    /// The likelihood of the model, which no tensor records: Bernoulli (the default, the tutorial's and pytorch/examples'
    /// sigmoid output) or Gaussian. A Vae-layout file with <c>decoder.logVariance</c> is Gaussian with learned variances
    /// whatever this says.
    /// </summary>
    /// <value>Defaults to <see cref="VaeLikelihood.Bernoulli"/>.</value>
    public VaeLikelihood Likelihood { get; init; } = VaeLikelihood.Bernoulli;

    /// <summary>The fixed variance of a Gaussian likelihood (see <see cref="VaeOptions.GaussianVariance"/>).</summary>
    /// <value>Defaults to <c>1.0</c>.</value>
    public double GaussianVariance { get; init; } = 1.0;

    /// <summary>
    /// The exact architecture, for what shapes cannot say (a convolutional model's image size); null (the default)
    /// infers an MLP from the shapes. The file must then match these options exactly.
    /// </summary>
    /// <value>Defaults to null.</value>
    public VaeOptions? Architecture { get; init; }

    /// <summary>Checks every setting, throwing <see cref="ArgumentException"/> naming the first that is out of range.</summary>
    public void Validate()
    {
        if (Layout is { } layout && !Enum.IsDefined(layout))
            throw new ArgumentOutOfRangeException(nameof(Layout), layout, $"Not a {nameof(PyTorchLayout)}.");
        if (!Enum.IsDefined(Likelihood))
            throw new ArgumentOutOfRangeException(nameof(Likelihood), Likelihood, $"Not a {nameof(VaeLikelihood)}.");
        if (!(GaussianVariance > 0) || !double.IsFinite(GaussianVariance))
            throw new ArgumentOutOfRangeException(nameof(GaussianVariance), GaussianVariance, "The Gaussian variance must be positive and finite.");
        Architecture?.Validate();
    }
}
