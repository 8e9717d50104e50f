using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.TimeSeries;

/// <summary>The command line of the default command: one series from a CSV file.</summary>
internal sealed class DetectSettings : DetectorSettings
{
    /// <summary>The series the default run scores: a shipped NAB series with labelled windows.</summary>
    public const string DefaultSeries = "realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv";

    [CommandOption("--csv <FILE>")]
    [Description("The series: a CSV file with a header line. Default: the shipped NAB series " + DefaultSeries + ".")]
    public string? Csv { get; init; }

    [CommandOption("--time <COLUMN>")]
    [Description("The timestamp column.")]
    [DefaultValue("timestamp")]
    public string Time { get; init; } = "timestamp";

    [CommandOption("--values <COLUMNS>")]
    [Description("The value columns, comma-separated (several make a multivariate detector). Default: every column but the timestamp.")]
    public string? Values { get; init; }

    [CommandOption("--train-rows <N>")]
    [Description("Rows to train on. Default: NAB's probationary period, min(15% of the rows, 750).")]
    public int? TrainRows { get; init; }

    [CommandOption("--sequential")]
    [Description("Take the rows one after another whatever their timestamps (for an irregular series) instead of filling the gaps of a regular one.")]
    public bool Sequential { get; init; }

    [CommandOption("--output <DIR>")]
    [Description("The folder for scores.csv, scores.png and detector.vae.")]
    [DefaultValue("timeseries-output")]
    public string Output { get; init; } = "timeseries-output";

    public override ValidationResult Validate()
    {
        if (TrainRows is <= 0) return ValidationResult.Error($"--train-rows must be at least 1, but was {TrainRows}.");
        if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output must name a folder.");
        return base.Validate();
    }
}
