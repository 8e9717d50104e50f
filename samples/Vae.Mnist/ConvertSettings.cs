using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core;

namespace Vae.Mnist;

/// <summary>The command line of <c>convert</c>.</summary>
internal sealed class ConvertSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--from <FILE>")]
    [Description("The model to read: .vae (written by a training run), or a PyTorch state dict (.pt, .pth, .safetensors) in any of the three layouts.")]
    public string? From { get; init; }

    [CommandOption("--to <FILE>")]
    [Description("The file to write; the extension picks the format: .vae, .pt/.pth, .safetensors, or .onnx (see --part).")]
    public string? To { get; init; }

    [CommandOption("--layout <LAYOUT>")]
    [Description("Names of the tensors in a .pt/.safetensors output: vae (Vae.Core's), tutorial (encoder.fc1, encoder.fc2_mean, ...) or examples (pytorch/examples: fc1, fc21, ...).")]
    [DefaultValue("vae")]
    public string Layout { get; init; } = "vae";

    [CommandOption("--part <PART>")]
    [Description("For an .onnx output: decoder (z to the pixel probabilities) encoder (x to the mean and log-variance of q(z|x)) or scorer (x to the anomaly score, the negative ELBO at the posterior mean, per row).")]
    [DefaultValue("decoder")]
    public string Part { get; init; } = "decoder";

    [CommandOption("--likelihood <LIKELIHOOD>")]
    [Description("For a PyTorch input, which no tensor records: bernoulli (sigmoid output, as the tutorial and pytorch/examples) or gaussian.")]
    [DefaultValue("bernoulli")]
    public string Likelihood { get; init; } = "bernoulli";

    [CommandOption("--overwrite")]
    [Description("Replace --to if it exists.")]
    public bool Overwrite { get; init; }


    private static readonly PyTorchLayout[] Layouts = [PyTorchLayout.Vae, PyTorchLayout.Tutorial, PyTorchLayout.Examples];
    private static readonly VaeLikelihood[] Likelihoods = [VaeLikelihood.Bernoulli, VaeLikelihood.Gaussian];

    public PyTorchLayout ParsedLayout => Choice(Layout, Layouts) ?? throw new InvalidOperationException($"--layout '{Layout}' was not validated.");

    public VaeLikelihood ParsedLikelihood => Choice(Likelihood, Likelihoods) ?? throw new InvalidOperationException($"--likelihood '{Likelihood}' was not validated.");

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(From)) return ValidationResult.Error("--from is required: the model file to read.");
        if (string.IsNullOrWhiteSpace(To)) return ValidationResult.Error("--to is required: the file to write (.vae, .pt, .pth, .safetensors or .onnx).");
        if (!ModelFiles.Loadable.Contains(ModelFiles.Extension(From)))
            return ValidationResult.Error($"--from '{From}': the extension must be one of {string.Join(", ", ModelFiles.Loadable)}.");
        if (!ModelFiles.Loadable.Contains(ModelFiles.Extension(To)) && ModelFiles.Extension(To) != ModelFiles.Onnx)
            return ValidationResult.Error($"--to '{To}': the extension must be one of {string.Join(", ", ModelFiles.Loadable)}, {ModelFiles.Onnx}.");
        if (Vae.Samples.OutputPaths.Same(From, To)) return ValidationResult.Error("--from and --to name the same file.");
        if (Choice(Layout, Layouts) is null) return ChoiceError("--layout", Layout, [.. Layouts.Select(Word)]);
        if (Part.ToLowerInvariant() is not ("decoder" or "encoder" or "scorer"))
            return ValidationResult.Error($"--part must be decoder, encoder or scorer, but was '{Part}'.");
        if (Choice(Likelihood, Likelihoods) is null) return ChoiceError("--likelihood", Likelihood, [.. Likelihoods.Select(Word)]);
        return ValidationResult.Success();
    }
}
