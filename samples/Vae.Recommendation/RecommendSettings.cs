using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.Recommendation;

/// <summary>The command line of <c>recommend</c>.</summary>
internal sealed class RecommendSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--model <FILE>")]
    [Description("A model file this sample (or VaeRecommender.Save) wrote: model.recvae or model.multvae.")]
    public string? Model { get; init; }

    [CommandOption("--history <FILE>")]
    [Description("The users' clicks: a CSV with the header user,item, one click per line, items in the model's catalogue ids (the lines of unique_sid.txt).")]
    public string? History { get; init; }

    [CommandOption("--top <K>")]
    [Description("Items recommended per user, best first; items the user clicked are never recommended.")]
    [DefaultValue(10)]
    public int Top { get; init; }

    [CommandOption("--output <FILE>")]
    [Description("The CSV to write (user,rank,item,score); without it the lists go to the standard output.")]
    public string? Output { get; init; }

    [CommandOption("--ignore-unknown-items")]
    [Description("Skip clicks on items the model's catalogue does not hold instead of refusing the file.")]
    public bool IgnoreUnknownItems { get; init; }

    [CommandOption("--blend-ease")]
    [Description("Blend the model with EASE fitted on the training clicks of --data, the model's weight chosen on its validation users, as training's --blend-ease does.")]
    public bool BlendEase { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("With --blend-ease: the folder the model was trained on (unique_sid.txt, train.csv, validation_tr.csv, validation_te.csv).")]
    public string? Data { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON line (users, items per user, skipped clicks, the model, the blend's weight, the output) instead of the summary; needs --output.")]
    public bool Json { get; init; }

    [CommandOption("--threads <N>")]
    [Description("libtorch threads (default: the machine's cores).")]
    public int? Threads { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required: the model file to recommend with.");
        if (string.IsNullOrWhiteSpace(History)) return ValidationResult.Error("--history is required: the CSV of the users' clicks (user,item).");
        if (Top <= 0) return ValidationResult.Error($"--top must be at least 1, but was {Top}.");
        if (ThreadsError(Threads) is { } threads) return threads;
        if (BlendEase && string.IsNullOrWhiteSpace(Data)) return ValidationResult.Error("--blend-ease needs --data: the folder the model was trained on, whose training clicks EASE is fitted to.");
        if (Json && Output is null) return ValidationResult.Error("--json needs --output: the standard output carries the JSON line, not the lists.");
        if (!BlendEase && Data is not null) return ValidationResult.Error("--data is read only with --blend-ease.");
        if (Output is { } output && Vae.Samples.OutputPaths.Clash("--output", output, ("--model", Model), ("--history", History)) is { } clash)
            return ValidationResult.Error(clash);
        return ValidationResult.Success();
    }
}
