using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.Mnist;

/// <summary>The command line of <c>generate</c>.</summary>
internal sealed class GenerateSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--model <FILE>")]
    [Description("A model file written by a training run (e.g. vae-output/model.vae).")]
    public string? Model { get; init; }

    [CommandOption("--digit <D>")]
    [Description("The digit to draw, 0-9; only for a model trained with --conditional (which needs it).")]
    public int? Digit { get; init; }

    [CommandOption("--count <N>")]
    [Description("How many images to draw; they are drawn and written 1,000 at a time, so any count fits in memory.")]
    [DefaultValue(100)]
    public int Count { get; init; }

    [CommandOption("--idx <FILE>")]
    [Description("Write the images as an IDX image file (unsigned bytes, N x 28 x 28): the decoder's pixel means x 255, rounded.")]
    public string? Idx { get; init; }

    [CommandOption("--png <FILE>")]
    [Description("Write the images as a PNG grid, ten per row; above 1,000 images it shows the first 1,000.")]
    public string? Png { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the latent codes: the same seed draws the same images.")]
    [DefaultValue(1)]
    public int Seed { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object (count, batch size, files, peak working set) as the last line of output.")]
    public bool Json { get; init; }


    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required: the model file to draw from.");
        if (Count <= 0) return ValidationResult.Error($"--count must be at least 1, but was {Count}.");
        if (Digit is < 0 or > 9) return ValidationResult.Error($"--digit must be 0-9, but was {Digit}.");
        if (Idx is null && Png is null) return ValidationResult.Error("Give --idx FILE, --png FILE or both: where the images go.");
        if (Idx is not null && Vae.Samples.OutputPaths.Clash("--idx", Idx, ("--model", Model)) is { } idxClash) return ValidationResult.Error(idxClash);
        if (Png is not null && Vae.Samples.OutputPaths.Clash("--png", Png, ("--model", Model), ("--idx", Idx)) is { } pngClash) return ValidationResult.Error(pngClash);
        return ValidationResult.Success();
    }
}
