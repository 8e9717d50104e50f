using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core.Recommendation;

namespace Vae.Recommendation;

/// <summary>The command line of <c>convert</c>.</summary>
internal sealed class ConvertSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--movielens <FILE>")]
    [Description("A MovieLens ratings.csv (header userId,movieId,rating,timestamp), as downloaded from grouplens.org.")]
    public string? MovieLens { get; init; }

    [CommandOption("--output <DIR>")]
    [Description("The folder to write unique_sid.txt, train.csv, validation_tr.csv, validation_te.csv, test_tr.csv and test_te.csv to.")]
    public string? Output { get; init; }

    [CommandOption("--held-out-users <N>")]
    [Description("Users for validation and again for test (the reference uses 10,000 each for MovieLens-20M).")]
    [DefaultValue(10000)]
    public int HeldOutUsers { get; init; }

    [CommandOption("--threshold <RATING>")]
    [Description("Ratings strictly above it are clicks.")]
    [DefaultValue(3.5)]
    public double Threshold { get; init; }

    /// <summary>The files convert writes into --output.</summary>
    public static IReadOnlyList<string> WrittenFiles { get; } =
    [
        ImplicitFeedbackFolder.ItemsFile, ImplicitFeedbackFolder.TrainFile, ImplicitFeedbackFolder.ValidationFoldInFile,
        ImplicitFeedbackFolder.ValidationHeldOutFile, ImplicitFeedbackFolder.TestFoldInFile, ImplicitFeedbackFolder.TestHeldOutFile,
    ];

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(MovieLens)) return ValidationResult.Error("--movielens is required: the ratings.csv to convert.");
        if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required: the folder to write the split to.");
        if (HeldOutUsers <= 0) return ValidationResult.Error($"--held-out-users must be at least 1, but was {HeldOutUsers}.");
        if (!double.IsFinite(Threshold)) return ValidationResult.Error($"--threshold must be a number, but was {Threshold}.");
        foreach (var written in WrittenFiles)
        {
            if (Vae.Samples.OutputPaths.Clash("--output", Path.Combine(Output, written), ("--movielens", MovieLens)) is { } clash)
                return ValidationResult.Error(clash);
        }
        return ValidationResult.Success();
    }
}
