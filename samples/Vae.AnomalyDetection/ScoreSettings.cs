using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.AnomalyDetection;

/// <summary>The command line of <c>score</c>: a saved tabular model applied to the rows of a CSV file.</summary>
internal sealed class ScoreSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--model <FILE>")]
    [Description("A model saved by the tabular command (tabular-output/model.vae), with its preprocessing and threshold.")]
    public string? Model { get; init; }

    [CommandOption("--csv <FILE>")]
    [Description("The rows to score: a CSV file whose header holds the model's input columns (others are ignored).")]
    public string? Csv { get; init; }

    [CommandOption("--output <FILE>")]
    [Description("The CSV of scores and flags to write (row, line, label, score, anomalous).")]
    [DefaultValue("scores.csv")]
    public string Output { get; init; } = "scores.csv";

    [CommandOption("--threshold <SCORE>")]
    [Description("Flag rows scoring above this instead of the model's saved threshold.")]
    public double? Threshold { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object with the counts as the last line of output.")]
    public bool Json { get; init; }


    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model must name a model file saved by the tabular command.");
        if (string.IsNullOrWhiteSpace(Csv)) return ValidationResult.Error("--csv must name the CSV file to score.");
        if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output must name a file.");
        if (Threshold is { } threshold && double.IsNaN(threshold)) return ValidationResult.Error("--threshold must be a number.");
        if (Vae.Samples.OutputPaths.Clash("--output", Output, ("--csv", Csv), ("--model", Model)) is { } clash) return ValidationResult.Error(clash);
        return ValidationResult.Success();
    }
}
