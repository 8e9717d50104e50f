using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.AnomalyDetection;

/// <summary>The command line of the tabular experiment: which table, which rows are normal, the model and its training.</summary>
internal sealed class TabularSettings : Vae.Samples.SampleSettings
{
    /// <summary>The value of the shipped table's label column that marks its normal rows.</summary>
    public const string ShippedNormal = "benign";

    [CommandOption("--csv <FILE>")]
    [Description("One CSV file to split: a seeded 70% of its normal rows train the model, the other rows are scored. Default: the shipped breast-cancer table.")]
    public string? Csv { get; init; }

    [CommandOption("--train <FILE>")]
    [Description("A CSV file whose normal rows train the model (use with --test instead of --csv).")]
    public string? Train { get; init; }

    [CommandOption("--test <FILE>")]
    [Description("A CSV file whose every row is scored (use with --train).")]
    public string? Test { get; init; }

    [CommandOption("--label <COLUMN>")]
    [Description("The column that says which rows are normal; it is not a feature.")]
    [DefaultValue("label")]
    public string Label { get; init; } = "label";

    [CommandOption("--normal <VALUE>")]
    [Description("The label of normal rows; every other label is an anomaly. Required with --csv or --train, whose labels may mean anything (0 is malignant in some tables); for the shipped table: benign.")]
    public string? Normal { get; init; }

    [CommandOption("--ignore <COLUMNS>")]
    [Description("Comma-separated columns that are neither features nor the label (identifiers, timestamps).")]
    public string? Ignore { get; init; }

    [CommandOption("--categorical <COLUMNS>")]
    [Description("Comma-separated columns to one-hot encode although they hold numbers; text columns are categorical anyway.")]
    public string? Categorical { get; init; }

    [CommandOption("--max-categories <N>")]
    [Description("The most distinct values a categorical column may have before the run stops (an identifier or free text is no category: --ignore it).")]
    [DefaultValue(TabularOptions.DefaultMaxCategories)]
    public int MaxCategories { get; init; } = TabularOptions.DefaultMaxCategories;

    [CommandOption("--impute")]
    [Description("Fill a missing value with the training mean (numbers) or most frequent category (text), and an unknown category with the most frequent one, instead of stopping with an error.")]
    public bool Impute { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Passes over the training rows.")]
    [DefaultValue(50)]
    public int Epochs { get; init; }

    [CommandOption("--batch <N>")]
    [Description("Rows per training step.")]
    [DefaultValue(32)]
    public int BatchSize { get; init; }

    [CommandOption("--hidden <N>")]
    [Description("Width of the hidden layer. Default: twice the features, 16 to 256.")]
    public int? Hidden { get; init; }

    [CommandOption("--latent <N>")]
    [Description("Size of the latent code. Default: a quarter of the features, 2 to 16.")]
    public int? Latent { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the split, the weights and the shuffling.")]
    [DefaultValue(1)]
    public int Seed { get; init; }

    [CommandOption("--threads <N>")]
    [Description("CPU threads for libtorch. Default: the library's measured default.")]
    public int? Threads { get; init; }

    [CommandOption("--score <KIND>")]
    [Description("The anomaly score: 'elbo', the negative ELBO at the posterior mean (one forward pass), or 'iwae', the negative importance-weighted log-likelihood from -k samples.")]
    [DefaultValue("elbo")]
    public string Score { get; init; } = "elbo";

    [CommandOption("-k|--samples <N>")]
    [Description("Importance samples per row for --score iwae (default 100); --k works too.")]
    public int? K { get; init; }

    public AnomalyScoreKind ScoreKind => ScoreOptions.Kind(Score) ?? throw new InvalidOperationException($"--score '{Score}' was not validated.");

    public int ImportanceSamples => K ?? AnomalyDetector.DefaultImportanceSamples;

    [CommandOption("--percentile <P>")]
    [Description("The threshold is this percentile of the training rows' scores.")]
    [DefaultValue(95.0)]
    public double Percentile { get; init; }

    [CommandOption("--output <DIR>")]
    [Description("Where the model, the histogram, the split and the test scores go.")]
    [DefaultValue("tabular-output")]
    public string Output { get; init; } = "tabular-output";

    [CommandOption("--json")]
    [Description("Print one JSON object with the figures as the last line of output.")]
    public bool Json { get; init; }


    /// <summary>True when no table was named: the shipped breast-cancer table is used.</summary>
    public bool UsesShippedTable => Csv is null && Train is null;

    /// <summary>The label of normal rows in effect.</summary>
    public string NormalLabel => Normal ?? (UsesShippedTable ? ShippedNormal : throw new InvalidOperationException("--normal is required with --csv or --train."));

    public IReadOnlyList<string> IgnoredColumns => SplitList(Ignore);

    public IReadOnlyList<string> CategoricalColumns => SplitList(Categorical);

    public TabularMissingValues MissingValues => Impute ? TabularMissingValues.Impute : TabularMissingValues.Error;

    /// <summary>The architecture for a table of <paramref name="features"/> features: the library's default, with --hidden and --latent applied.</summary>
    public VaeOptions ModelOptions(int features)
    {
        var options = TabularAnomalyModel.DefaultModelOptions(features);
        if (Hidden is { } hidden) options = options with { HiddenSizes = [hidden] };
        if (Latent is { } latent) options = options with { LatentSize = latent };
        return options;
    }

    public override ValidationResult Validate()
    {
        if (Csv is not null && (Train is not null || Test is not null)) return ValidationResult.Error("give either --csv or --train with --test, not both.");
        if ((Train is null) != (Test is null)) return ValidationResult.Error("--train and --test go together: the model trains on one file's normal rows and scores the other's rows.");
        if (string.IsNullOrWhiteSpace(Label)) return ValidationResult.Error("--label must name a column.");
        if (!UsesShippedTable && string.IsNullOrEmpty(Normal))
            return ValidationResult.Error(
                $"--normal is required with {(Csv is not null ? "--csv" : "--train")}: give the value of the '{Label}' column that marks the normal rows (for example --normal 0 or --normal benign); " +
                "every other value is taken as an anomaly, so a guess would train on the anomalies of a table coded the other way round.");
        if (Epochs <= 0) return ValidationResult.Error($"--epochs must be at least 1, but was {Epochs}.");
        if (MaxCategories <= 0) return ValidationResult.Error($"--max-categories must be at least 1, but was {MaxCategories}.");
        if (BatchSize <= 0) return ValidationResult.Error($"--batch must be at least 1, but was {BatchSize}.");
        if (Hidden is <= 0) return ValidationResult.Error($"--hidden must be at least 1, but was {Hidden}.");
        if (Latent is <= 0) return ValidationResult.Error($"--latent must be at least 1, but was {Latent}.");
        if (ThreadsError(Threads) is { } threadsError) return threadsError;
        var scoreCheck = ScoreOptions.Validate(Score, K);
        if (!scoreCheck.Successful) return scoreCheck;
        if (!(Percentile is >= 0 and <= 100)) return ValidationResult.Error($"--percentile must lie in [0, 100], but was {Percentile}.");
        if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output must name a folder.");
        return ValidationResult.Success();
    }

    private static string[] SplitList(string? list) =>
        list is null ? [] : list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
