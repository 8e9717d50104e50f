using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core.TimeSeries;

namespace Vae.TimeSeries;

/// <summary>The detector's settings, the same for both commands (and for every series of a nab run).</summary>
internal class DetectorSettings : Vae.Samples.SampleSettings
{
    private static readonly TimeSeriesDetectorOptions Defaults = new();

    [CommandOption("--window <POINTS>")]
    [Description("Points per sliding window.")]
    public int? Window { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Training epochs over the training part's windows.")]
    public int? Epochs { get; init; }

    [CommandOption("--hidden <SIZES>")]
    [Description("Encoder hidden layer widths, comma-separated (the decoder mirrors them).")]
    public string? Hidden { get; init; }

    [CommandOption("--latent <N>")]
    [Description("Latent dimension.")]
    public int? Latent { get; init; }

    [CommandOption("--beta <B>")]
    [Description("Weight of the KL term in training.")]
    public double? Beta { get; init; }

    [CommandOption("--threshold <SCORE>")]
    [Description("Calibrated score (0 to 1) at which a point is an anomaly.")]
    public double? Threshold { get; init; }

    [CommandOption("--short <N>")]
    [Description("Recent raw scores averaged before calibration.")]
    public int? Short { get; init; }

    [CommandOption("--level-points <N>")]
    [Description("Recent points the level-shift score averages (0: no level-shift score).")]
    public int? LevelPoints { get; init; }

    [CommandOption("--level-window <N>")]
    [Description("Points before them the level-shift score compares them with.")]
    public int? LevelWindow { get; init; }

    [CommandOption("--level-digits <D>")]
    [Description("The tail probability 10^-D of the level-shift score's calibration that maps to a score of 1.")]
    public double? LevelDigits { get; init; }

    [CommandOption("--range-scale <X>")]
    [Description("The excess beyond the range seen, in units of that range, that gives a range score of 1 (0: calibrated against its history).")]
    public double? RangeScale { get; init; }

    [CommandOption("--seasonal-digits <D>")]
    [Description("The tail probability 10^-D of the seasonal score's calibration that maps to a score of 1.")]
    public double? SeasonalDigits { get; init; }

    [CommandOption("--no-range")]
    [Description("Leave out the range score.")]
    public bool NoRange { get; init; }

    [CommandOption("--no-seasonal")]
    [Description("Leave out the seasonal score.")]
    public bool NoSeasonal { get; init; }

    [CommandOption("--masked-elbo")]
    [Description("Train with Donut's M-ELBO: missing and injected points left out of the reconstruction term.")]
    public bool MaskedElbo { get; init; }

    [CommandOption("--history <N>")]
    [Description("Raw scores the calibration's mean and deviation are taken over.")]
    public int? History { get; init; }

    [CommandOption("--tail-digits <D>")]
    [Description("The tail probability 10^-D of the VAE's score's calibration that maps to a calibrated score of 1.")]
    public double? TailDigits { get; init; }

    [CommandOption("--vae-gate <F>")]
    [Description("The VAE's score counts only when its short average reaches F times the highest raw score of its calibration history (0: always).")]
    public double? VaeGate { get; init; }

    [CommandOption("--suppress <POINTS>")]
    [Description("After an anomaly, the next POINTS points are reported below the threshold.")]
    public int? Suppress { get; init; }

    [CommandOption("--retrain-every <POINTS>")]
    [Description("Train further on the recent points every POINTS points (0: never).")]
    public int? RetrainEvery { get; init; }

    [CommandOption("--retrain-points <POINTS>")]
    [Description("The recent points kept for retraining.")]
    public int? RetrainPoints { get; init; }

    [CommandOption("--retrain-epochs <N>")]
    [Description("Epochs of each retraining.")]
    public int? RetrainEpochs { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the initialisation, shuffling and missing-point injection.")]
    [DefaultValue(1L)]
    public long Seed { get; init; }

    [CommandOption("--json")]
    [Description("Print the figures as one JSON line.")]
    public bool Json { get; init; }

    public TimeSeriesDetectorOptions DetectorOptions(TimeSeriesTimestamps timestamps) => Defaults with
    {
        WindowSize = Window ?? Defaults.WindowSize,
        Epochs = Epochs ?? Defaults.Epochs,
        HiddenSizes = Hidden is null ? Defaults.HiddenSizes : Vae.Samples.CommaSeparated.Integers(Hidden),
        LatentSize = Latent ?? Defaults.LatentSize,
        Beta = Beta ?? Defaults.Beta,
        Threshold = Threshold ?? Defaults.Threshold,
        ShortAverage = Short ?? Defaults.ShortAverage,
        CalibrationHistory = History ?? Defaults.CalibrationHistory,
        LevelShiftPoints = LevelPoints ?? Defaults.LevelShiftPoints,
        LevelShiftWindow = LevelWindow ?? Defaults.LevelShiftWindow,
        LevelShiftDigits = LevelDigits ?? Defaults.LevelShiftDigits,
        RangeScore = !NoRange && Defaults.RangeScore,
        RangeScale = RangeScale ?? Defaults.RangeScale,
        SeasonalDigits = SeasonalDigits ?? Defaults.SeasonalDigits,
        SeasonalScore = !NoSeasonal && Defaults.SeasonalScore,
        MaskedElbo = MaskedElbo || Defaults.MaskedElbo,
        TailDigits = TailDigits ?? Defaults.TailDigits,
        VaeScoreGate = VaeGate ?? Defaults.VaeScoreGate,
        SuppressionPoints = Suppress ?? Defaults.SuppressionPoints,
        RetrainEvery = RetrainEvery ?? Defaults.RetrainEvery,
        RetrainPoints = RetrainPoints ?? Defaults.RetrainPoints,
        RetrainEpochs = RetrainEpochs ?? Defaults.RetrainEpochs,
        Seed = Seed,
        Timestamps = timestamps,
    };

    public override ValidationResult Validate()
    {
        try
        {
            DetectorOptions(TimeSeriesTimestamps.Regular).Validate();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return ValidationResult.Error(e.Message);
        }
        return ValidationResult.Success();
    }
}
