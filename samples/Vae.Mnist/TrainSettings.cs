using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core;
using Vae.Samples;

namespace Vae.Mnist;

/// <summary>The command line of a training run.</summary>
internal sealed class TrainSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Folder with the four MNIST files (train-images-idx3-ubyte[[.gz]], ...), e.g. the full 60,000/10,000 set. Default: the 10,000 digits shipped with the sample.")]
    public string? Data { get; init; }

    [CommandOption("--download <DIR>")]
    [Description("Download the full MNIST (70,000 digits) into DIR, verify SHA-256, then train on it. Files already there and valid are kept.")]
    public string? Download { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Passes over the training data (with --resume: the total to reach).")]
    [DefaultValue(10)]
    public int Epochs { get; init; }

    [CommandOption("--batch-size <N>")]
    [Description("Images per optimizer step.")]
    [DefaultValue(128)]
    public int BatchSize { get; init; }

    [CommandOption("--latent <N>")]
    [Description("Size of the latent code z. With 2, the run also draws the latent plane.")]
    [DefaultValue(20)]
    public int Latent { get; init; }

    [CommandOption("--hidden <SIZES>")]
    [Description("Fully connected hidden layer widths of the encoder (with --arch conv: after the convolutions), comma-separated (the decoder mirrors them).")]
    [DefaultValue("400")]
    public string Hidden { get; init; } = "400";

    [CommandOption("--arch <ARCH>")]
    [Description("Encoder and decoder: mlp (fully connected) or conv (strided convolutions, then the --hidden layers).")]
    [DefaultValue("mlp")]
    public string Arch { get; init; } = "mlp";

    [CommandOption("--channels <SIZES>")]
    [Description("With --arch conv: output channels of the encoder's convolutions, comma-separated (each halves the image; the decoder mirrors them).")]
    [DefaultValue("32,64")]
    public string Channels { get; init; } = "32,64";

    [CommandOption("--beta <B>")]
    [Description("Weight of the KL term (beta-VAE); 1 trains on the plain ELBO.")]
    [DefaultValue(1.0)]
    public double Beta { get; init; }

    [CommandOption("--warmup <EPOCHS>")]
    [Description("Ramp the KL weight linearly from 0 to beta over this many epochs.")]
    [DefaultValue(0)]
    public int Warmup { get; init; }

    [CommandOption("--lr <RATE>")]
    [Description("Adam's learning rate.")]
    [DefaultValue(1e-3)]
    public double LearningRate { get; init; }

    [CommandOption("--weight-average <DECAY>")]
    [Description("Evaluate and save an exponential moving average of the weights with this decay per step (e.g. 0.99; it pays on long runs) instead of the last step's weights; by default none.")]
    public double? WeightAverage { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the weights, the shuffling and the sampling: the same seed gives the same run.")]
    [DefaultValue(1)]
    public int Seed { get; init; }

    [CommandOption("--threads <N>")]
    [Description("CPU threads for libtorch and the fused CPU step. Default: the library's measured default.")]
    public int? Threads { get; init; }

    [CommandOption("--autograd")]
    [Description("Train through libtorch's autograd instead of the fused CPU step (same results to float rounding, slower).")]
    public bool Autograd { get; init; }

    [CommandOption("--output <DIR>")]
    [Description("Where the model, the checkpoint and the pictures go.")]
    [DefaultValue("vae-output")]
    public string Output { get; init; } = "vae-output";

    [CommandOption("--resume")]
    [Description("Continue from the checkpoint in --output if there is one (written after every epoch and when the run is stopped), otherwise start: the same command line restarts a run after a crash.")]
    public bool Resume { get; init; }

    [CommandOption("--overwrite")]
    [Description("Start afresh even though --output holds an earlier run, replacing its checkpoint and model.")]
    public bool Overwrite { get; init; }

    [CommandOption("--tensorboard <DIR>")]
    [Description("Also write TensorBoard event files to DIR: each epoch's losses, beta, learning rate and images/s, and grids of test digits reconstructed and of samples (view with: tensorboard --logdir DIR).")]
    public string? TensorBoard { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object with the run's figures as the last line of output.")]
    public bool Json { get; init; }


    [CommandOption("--conditional")]
    [Description("Condition the encoder and decoder on the digit's label (a conditional VAE): the generate command then draws the digit asked for.")]
    public bool Conditional { get; init; }

    [CommandOption("--objective <OBJECTIVE>")]
    [Description("The bound to train on: elbo, or iwae (the importance-weighted bound with --samples samples, autograd only).")]
    [DefaultValue("elbo")]
    public string Objective { get; init; } = "elbo";

    [CommandOption("--samples <K>")]
    [Description("With --objective iwae: importance samples of z per image (training costs about K times as much).")]
    [DefaultValue(5)]
    public int Samples { get; init; } = 5;

    [CommandOption("--likelihood <LIKELIHOOD>")]
    [Description("p(x|z): bernoulli, continuous-bernoulli (normalised for grey levels; its nats are not comparable with bernoulli's) or gaussian (variance 1).")]
    [DefaultValue("bernoulli")]
    public string Likelihood { get; init; } = "bernoulli";

    [CommandOption("--prior <PRIOR>")]
    [Description("p(z): standard (N(0, I)) or vamp (the VampPrior: a mixture of the encoder's posteriors at 500 learned pseudo-inputs; its KL is estimated from the sampled z; not with --conditional).")]
    [DefaultValue("standard")]
    public string Prior { get; init; } = "standard";

    private static readonly VaePrior[] Priors = [VaePrior.Standard, VaePrior.Vamp];
    private static readonly VaeObjective[] Objectives = [VaeObjective.Elbo, VaeObjective.Iwae];
    private static readonly VaeLikelihood[] Likelihoods = [VaeLikelihood.Bernoulli, VaeLikelihood.ContinuousBernoulli, VaeLikelihood.Gaussian];
    private static readonly VaeArchitecture[] Architectures = [VaeArchitecture.Mlp, VaeArchitecture.Convolutional];
    private static readonly (string, VaeArchitecture) ConvAlias = ("conv", VaeArchitecture.Convolutional);

    public VaePrior PriorKind => Choice(Prior, Priors) ?? throw new FormatException($"--prior '{Prior}' was not validated.");

    public VaeObjective ObjectiveKind => Choice(Objective, Objectives) ?? throw new FormatException($"--objective '{Objective}' was not validated.");

    public VaeLikelihood LikelihoodKind => Choice(Likelihood, Likelihoods) ?? throw new FormatException($"--likelihood '{Likelihood}' was not validated.");

    public int[] HiddenSizes => CommaSeparated.Integers(Hidden);

    public int[] ConvChannels => CommaSeparated.Integers(Channels);

    public VaeArchitecture Architecture => Choice(Arch, Architectures, ConvAlias) ?? throw new FormatException($"--arch '{Arch}' was not validated.");

    public override ValidationResult Validate()
    {
        if (Epochs <= 0) return ValidationResult.Error($"--epochs must be at least 1, but was {Epochs}.");
        if (WeightAverage is { } decay && !(decay > 0 && decay < 1)) return ValidationResult.Error($"--weight-average must lie strictly between 0 and 1, but was {decay}.");
        if (BatchSize <= 0) return ValidationResult.Error($"--batch-size must be at least 1, but was {BatchSize}.");
        if (Latent <= 0) return ValidationResult.Error($"--latent must be at least 1, but was {Latent}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) return ValidationResult.Error($"--lr must be positive, but was {LearningRate}.");
        if (!(Beta >= 0) || double.IsInfinity(Beta)) return ValidationResult.Error($"--beta must be non-negative, but was {Beta}.");
        if (Warmup < 0) return ValidationResult.Error($"--warmup must not be negative, but was {Warmup}.");
        if (ThreadsError(Threads) is { } threadsError) return threadsError;
        if (TensorBoard is not null && string.IsNullOrWhiteSpace(TensorBoard)) return ValidationResult.Error("--tensorboard must name a folder.");
        if (Data is not null && Download is not null) return ValidationResult.Error("--data and --download both name the data: give one.");
        if (Resume && Overwrite) return ValidationResult.Error("--resume continues the run in --output and --overwrite replaces it: give one.");
        try
        {
            if (HiddenSizes.Any(h => h <= 0)) return ValidationResult.Error($"--hidden sizes must be positive, but were '{Hidden}'.");
        }
        catch (FormatException)
        {
            return ValidationResult.Error($"--hidden must be comma-separated numbers such as 512,256, but was '{Hidden}'.");
        }
        if (Choice(Objective, Objectives) is null) return ChoiceError("--objective", Objective, [.. Objectives.Select(Word)]);
        if (Choice(Prior, Priors) is null) return ChoiceError("--prior", Prior, [.. Priors.Select(Word)]);
        if (Conditional && PriorKind == VaePrior.Vamp) return ValidationResult.Error("--prior vamp cannot be combined with --conditional: the pseudo-inputs carry no label.");
        if (Samples <= 0) return ValidationResult.Error($"--samples must be at least 1, but was {Samples}.");
        if (Choice(Likelihood, Likelihoods) is null) return ChoiceError("--likelihood", Likelihood, [.. Likelihoods.Select(Word)]);
        if (Choice(Arch, Architectures, ConvAlias) is null) return ChoiceError("--arch", Arch, "mlp", "conv");
        try
        {
            if (ConvChannels.Length == 0 || ConvChannels.Any(c => c <= 0)) return ValidationResult.Error($"--channels must be positive, but were '{Channels}'.");
        }
        catch (FormatException)
        {
            return ValidationResult.Error($"--channels must be comma-separated numbers such as 32,64, but was '{Channels}'.");
        }
        return ValidationResult.Success();
    }
}
