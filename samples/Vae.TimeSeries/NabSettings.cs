using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.TimeSeries;

/// <summary>The command line of <c>nab</c>.</summary>
internal sealed class NabSettings : DetectorSettings
{
    [CommandOption("--data <DIR>")]
    [Description("NAB's data layout: DIR/<category>/<name>.csv with the header timestamp,value, and DIR/labels/combined_windows.json for the score. Default: the shipped 51 series.")]
    public string? Data { get; init; }

    [CommandOption("--output <OUT>")]
    [Description("The folder for OUT/<category>/<name>.csv (timestamp,value,anomaly_score) and nab-scores.json.")]
    [DefaultValue("nab-results")]
    public string Output { get; init; } = "nab-results";

    [CommandOption("--parallel <N>")]
    [Description("Series run at once, each on one libtorch thread. Default: the number of logical processors.")]
    public int? Parallel { get; init; }

    public override ValidationResult Validate()
    {
        if (Parallel is <= 0) return ValidationResult.Error($"--parallel must be at least 1, but was {Parallel}.");
        if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output must name a folder.");
        return base.Validate();
    }
}
