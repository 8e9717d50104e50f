using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.Mnist;

/// <summary>The command line of <c>evaluate</c>.</summary>
internal sealed class EvaluateSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--model <FILE>")]
    [Description("A model file written by a training run (e.g. vae-output/model.vae), or a PyTorch state dict (.pt, .pth, .safetensors) in the Vae, tutorial or pytorch/examples layout.")]
    public string? Model { get; init; }

    [CommandOption("-k|--samples <SAMPLES>")]
    [Description("(also --k) Importance samples per test image for the log-likelihood estimate (5000 is the customary figure).")]
    [DefaultValue(5000)]
    public int K { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Folder with the MNIST test files. Default: the 10,000 digits shipped with the sample.")]
    public string? Data { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the latent samples.")]
    [DefaultValue(1)]
    public int Seed { get; init; }

    [CommandOption("--threads <N>")]
    [Description("CPU threads for libtorch. Default: the library's measured default.")]
    public int? Threads { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object (test_elbo, test_negative_elbo_at_mean, test_nll_iwae, k, ...) as the last line of output.")]
    public bool Json { get; init; }


    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required: the model file to evaluate.");
        if (K <= 0) return ValidationResult.Error($"-k must be at least 1, but was {K}.");
        if (ThreadsError(Threads) is { } threadsError) return threadsError;
        return ValidationResult.Success();
    }
}
