using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.TimeSeries;

/// <summary>The command line of <c>multivariate</c>.</summary>
internal sealed class MultivariateSettings : DetectorSettings
{
    /// <summary>The window, latent size and KL weight of this command unless --window, --latent or --beta say otherwise.</summary>
    public const int DefaultWindow = 8;
    public const int DefaultLatent = 3;
    public const double DefaultBeta = 0.1;

    [CommandOption("--output <DIR>")]
    [Description("The folder for the generated series (multivariate.csv, with its label column).")]
    [DefaultValue("multivariate-output")]
    public string Output { get; init; } = "multivariate-output";

    [CommandOption("--rows <N>")]
    [Description("Rows of the generated series.")]
    [DefaultValue(6000)]
    public int Rows { get; init; } = 6000;

    [CommandOption("--events <N>")]
    [Description("Anomalies injected (48 points each).")]
    [DefaultValue(10)]
    public int Events { get; init; } = 10;

    [CommandOption("--train-fraction <F>")]
    [Description("The share of the rows, from the start, to train on.")]
    [DefaultValue(0.3)]
    public double TrainFraction { get; init; } = 0.3;

    [CommandOption("--data-seed <N>")]
    [Description("Seed of the generated series.")]
    [DefaultValue(7)]
    public int DataSeed { get; init; } = 7;

    public override ValidationResult Validate()
    {
        if (!(TrainFraction > 0 && TrainFraction < 0.5)) return ValidationResult.Error($"--train-fraction must be between 0 and 0.5, but was {TrainFraction}.");
        if (Rows < 2000) return ValidationResult.Error($"--rows must be at least 2000, but was {Rows}.");
        if (Events <= 0 || Events * 2 * CorrelatedMetrics.EventLength > Rows - 1300) return ValidationResult.Error($"--events {Events} do not fit in {Rows} rows.");
        return base.Validate();
    }
}
