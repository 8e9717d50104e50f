using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core;

namespace Vae.AnomalyDetection;

/// <summary>The command line of a hold-out experiment.</summary>
internal sealed class AnomalySettings : Vae.Samples.SampleSettings
{
    [CommandOption("--holdout <DIGIT>")]
    [Description("The digit (0-9) left out of training, whose test digits are the anomalies. Default: each of the ten in turn.")]
    public int? Holdout { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Folder with the four MNIST files (train-images-idx3-ubyte[[.gz]], ...), e.g. the full 60,000/10,000 set. Default: the 10,000 digits shipped with the sample.")]
    public string? Data { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Passes over the training data for each held-out digit.")]
    [DefaultValue(10)]
    public int Epochs { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the weights, the shuffling and the sampling; every held-out digit starts from the same seed.")]
    [DefaultValue(1)]
    public int Seed { get; init; }

    [CommandOption("--threads <N>")]
    [Description("CPU threads for libtorch. Default: the library's measured default.")]
    public int? Threads { get; init; }

    [CommandOption("--arch <ARCH>")]
    [Description("The model: 'mlp' (784-400-20) or 'conv' (convolutions 32, 64, then 400-20).")]
    [DefaultValue("mlp")]
    public string Arch { get; init; } = "mlp";

    private static readonly VaeArchitecture[] Architectures = [VaeArchitecture.Mlp, VaeArchitecture.Convolutional];
    private static readonly (string, VaeArchitecture) ConvAlias = ("conv", VaeArchitecture.Convolutional);

    public VaeOptions ModelOptions => new() { Architecture = Choice(Arch, Architectures, ConvAlias) ?? throw new InvalidOperationException($"--arch '{Arch}' was not validated.") };

    [CommandOption("--score <KIND>")]
    [Description("The anomaly score: 'elbo', the negative ELBO at the posterior mean (one forward pass), or 'iwae', the negative importance-weighted log-likelihood from --k samples.")]
    [DefaultValue("elbo")]
    public string Score { get; init; } = "elbo";

    [CommandOption("-k|--samples <N>")]
    [Description("Importance samples per digit for --score iwae (default 100); --k works too.")]
    public int? K { get; init; }

    [CommandOption("--percentile <P>")]
    [Description("The threshold is this percentile of the scores of normal validation digits.")]
    [DefaultValue(99.0)]
    public double Percentile { get; init; }

    [CommandOption("--output <DIR>")]
    [Description("Where the pictures of the highest- and lowest-scoring test digits go.")]
    [DefaultValue("anomaly-output")]
    public string Output { get; init; } = "anomaly-output";

    [CommandOption("--json")]
    [Description("Print one JSON object with the figures as the last line of output.")]
    public bool Json { get; init; }


    public AnomalyScoreKind ScoreKind => ScoreOptions.Kind(Score) ?? throw new InvalidOperationException($"--score '{Score}' was not validated.");

    /// <summary>The k of the importance-weighted score (ignored by the ELBO score).</summary>
    public int ImportanceSamples => K ?? AnomalyDetector.DefaultImportanceSamples;

    /// <summary>The held-out digits of this run, in order.</summary>
    public IReadOnlyList<int> Digits => Holdout is { } digit ? [digit] : Enumerable.Range(0, 10).ToArray();

    public override ValidationResult Validate()
    {
        if (Holdout is < 0 or > 9) return ValidationResult.Error($"--holdout must be a digit 0-9, but was {Holdout}.");
        if (Epochs <= 0) return ValidationResult.Error($"--epochs must be at least 1, but was {Epochs}.");
        if (Choice(Arch, Architectures, ConvAlias) is null) return ChoiceError("--arch", Arch, "mlp", "conv");
        if (ThreadsError(Threads) is { } threadsError) return threadsError;
        var scoreCheck = ScoreOptions.Validate(Score, K);
        if (!scoreCheck.Successful) return scoreCheck;
        if (!(Percentile is >= 0 and <= 100)) return ValidationResult.Error($"--percentile must lie in [0, 100], but was {Percentile}.");
        if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output must name a folder.");
        return ValidationResult.Success();
    }
}
