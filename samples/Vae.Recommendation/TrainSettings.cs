using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Samples;

namespace Vae.Recommendation;

/// <summary>The command line of a training run.</summary>
internal sealed class TrainSettings : Vae.Samples.SampleSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Folder in the layout of the Mult-VAE reference preprocessing (unique_sid.txt, train.csv, validation_tr.csv, validation_te.csv, test_tr.csv, test_te.csv). Default: synthetic clicks made on the spot.")]
    public string? Data { get; init; }

    [CommandOption("--model <NAME>")]
    [Description("The recommender to train and report on: multvae (Mult-VAE), recvae (RecVAE), ease or popularity; popularity and EASE are reported beside any of them.")]
    [DefaultValue("multvae")]
    public string Model { get; init; } = "multvae";

    [CommandOption("--synthetic <SETTING>")]
    [Description("Without --data: the synthetic setting, default or long-tail (user activity following a power law: most users click a few items, a few click hundreds).")]
    [DefaultValue("default")]
    public string Synthetic { get; init; } = "default";

    [CommandOption("--gamma <G>")]
    [Description("RecVAE: a user's KL weight is G x the user's clicks.")]
    [DefaultValue(0.005)]
    public double Gamma { get; init; }

    [CommandOption("--users <N>")]
    [Description("Without --data: users of the synthetic data.")]
    [DefaultValue(6000)]
    public int Users { get; init; }

    [CommandOption("--items <N>")]
    [Description("Without --data: items of the synthetic data.")]
    [DefaultValue(1000)]
    public int Items { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Most epochs (Mult-VAE: passes over the training users; RecVAE: three encoder passes and one decoder pass each); the epoch with the best validation NDCG@100 is kept.")]
    [DefaultValue(30)]
    public int Epochs { get; init; }

    [CommandOption("--patience <N>")]
    [Description("Stop after N epochs without a better validation NDCG@100. Default: train every epoch, as the reference does.")]
    public int? Patience { get; init; }

    [CommandOption("--batch-size <N>")]
    [Description("Training users per optimizer step.")]
    [DefaultValue(500)]
    public int BatchSize { get; init; }

    [CommandOption("--hidden <SIZES>")]
    [Description("Hidden layer widths of the encoder, comma-separated (the decoder mirrors them).")]
    [DefaultValue("600")]
    public string Hidden { get; init; } = "600";

    [CommandOption("--latent <N>")]
    [Description("Size of the latent code z.")]
    [DefaultValue(200)]
    public int Latent { get; init; }

    [CommandOption("--dropout <P>")]
    [Description("Probability that a click is dropped from the encoder's input while training.")]
    [DefaultValue(0.5)]
    public double Dropout { get; init; }

    [CommandOption("--lr <RATE>")]
    [Description("Adam's learning rate. Default: 1e-3 for Mult-VAE, 5e-4 for RecVAE (the references').")]
    public double? LearningRateOption { get; init; }

    [CommandOption("--lr-schedule <SCHEDULE>")]
    [Description("RecVAE: none (the reference's constant rate) or cosine (annealed to 0 along half a cosine over every pass of the run).")]
    [DefaultValue("none")]
    public string LearningRateSchedule { get; init; } = "none";

    [CommandOption("--encoder-passes <N>")]
    [Description("RecVAE: passes over the training users per epoch that update the encoder (the reference's 3).")]
    [DefaultValue(3)]
    public int EncoderPasses { get; init; } = 3;

    [CommandOption("--decoder-passes <N>")]
    [Description("RecVAE: passes over the training users per epoch that update the decoder (the reference's 1).")]
    [DefaultValue(1)]
    public int DecoderPasses { get; init; } = 1;

    [CommandOption("--encoder-target <CLICKS>")]
    [Description("RecVAE: what an encoder pass reconstructs: all (every click, the reference's) or dropped (only the clicks its input dropout removed).")]
    [DefaultValue("all")]
    public string EncoderTarget { get; init; } = "all";

    [CommandOption("--weight-decay <D>")]
    [Description("RecVAE: the decoupled weight decay (AdamW's) of both optimisers; 0, the reference's, decays nothing.")]
    [DefaultValue(0.0)]
    public double WeightDecay { get; init; }

    [CommandOption("--weight-average <DECAY>")]
    [Description("RecVAE: validate, keep and save an exponential moving average of the weights with this decay per update (e.g. 0.99); by default none, as the reference.")]
    public double? WeightAverage { get; init; }

    public double LearningRate => LearningRateOption ?? (Model == "recvae" ? 5e-4 : 1e-3);

    [CommandOption("--anneal-cap <B>")]
    [Description("Largest weight of the KL term.")]
    [DefaultValue(0.2)]
    public double AnnealCap { get; init; }

    [CommandOption("--anneal-steps <N>")]
    [Description("The KL weight of step t is min(cap, t / N); 0 uses the cap from the start.")]
    [DefaultValue(200000L)]
    public long AnnealSteps { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the weights, shuffles, dropout and sampling (and of the synthetic data): the same seed gives the same run.")]
    [DefaultValue(1)]
    public int Seed { get; init; }

    [CommandOption("--threads <N>")]
    [Description("CPU threads for libtorch and the kernels. Default: libtorch's default.")]
    public int? Threads { get; init; }

    [CommandOption("--no-ease")]
    [Description("Leave out the EASE baseline (its item x item matrix needs 3 x 8 x items^2 bytes; it is left out by itself above 10,000 items).")]
    public bool NoEase { get; init; }

    [CommandOption("--blend-ease")]
    [Description("With --model multvae or recvae: blend the trained model with EASE (each one's scores standardised per user, the VAE's weight chosen from 0, 0.1, ..., 1 on the validation users); the test figures and --predictions are then the blend's, the VAE's own figures stay in the JSON.")]
    public bool BlendEase { get; init; }

    [CommandOption("--predictions <FILE>")]
    [Description("Write, for every test user, the 100 best items not in the user's test_tr clicks: CSV uid,rank,sid with the ids of the input files.")]
    public string? Predictions { get; init; }

    [CommandOption("--output <DIR>")]
    [Description("Where the model and the plot go.")]
    [DefaultValue("recommendation-output")]
    public string Output { get; init; } = "recommendation-output";

    [CommandOption("--overwrite")]
    [Description("Replace the model an earlier run left in --output.")]
    public bool Overwrite { get; init; }

    [CommandOption("--resume")]
    [Description("Continue the run whose checkpoint is in --output (written every epoch and on Ctrl+C; also after the process was killed), ending with the weights of an uninterrupted run; with no checkpoint there yet, start it.")]
    public bool Resume { get; init; }

    [CommandOption("--tensorboard <DIR>")]
    [Description("Also write TensorBoard event files to DIR: each epoch's losses, KL weight, learning rate, users/s and validation NDCG@100 (view with: tensorboard --logdir DIR).")]
    public string? TensorBoard { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON object with the run's figures as the last line of output.")]
    public bool Json { get; init; }

    public int[] HiddenSizes => CommaSeparated.Integers(Hidden);

    public override ValidationResult Validate()
    {
        if (Model is not ("multvae" or "recvae" or "ease" or "popularity"))
            return ValidationResult.Error($"--model must be multvae, recvae, ease or popularity, but was '{Model}'.");
        if (Synthetic is not ("default" or "long-tail"))
            return ValidationResult.Error($"--synthetic must be default or long-tail, but was '{Synthetic}'.");
        if (LearningRateSchedule is not ("none" or "cosine"))
            return ValidationResult.Error($"--lr-schedule must be none or cosine, but was '{LearningRateSchedule}'.");
        if (EncoderTarget is not ("all" or "dropped"))
            return ValidationResult.Error($"--encoder-target must be all or dropped, but was '{EncoderTarget}'.");
        if (EncoderPasses <= 0) return ValidationResult.Error($"--encoder-passes must be at least 1, but was {EncoderPasses}.");
        if (DecoderPasses <= 0) return ValidationResult.Error($"--decoder-passes must be at least 1, but was {DecoderPasses}.");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) return ValidationResult.Error($"--weight-decay must not be negative, but was {WeightDecay}.");
        if (WeightAverage is { } decay && !(decay > 0 && decay < 1)) return ValidationResult.Error($"--weight-average must lie strictly between 0 and 1, but was {decay}.");
        if (WeightAverage is not null && Model != "recvae") return ValidationResult.Error($"--weight-average is for --model recvae, not {Model}.");
        if (!(Gamma >= 0) || double.IsInfinity(Gamma)) return ValidationResult.Error($"--gamma must not be negative, but was {Gamma}.");
        if (BlendEase && Model is not ("multvae" or "recvae"))
            return ValidationResult.Error($"--blend-ease blends a trained VAE with EASE: it needs --model multvae or recvae, not '{Model}'.");
        if (BlendEase && NoEase) return ValidationResult.Error("--blend-ease needs EASE and --no-ease leaves it out: give one.");
        if (Resume && Overwrite) return ValidationResult.Error("--resume continues the run in --output and --overwrite replaces it: give one.");
        if (Epochs <= 0) return ValidationResult.Error($"--epochs must be at least 1, but was {Epochs}.");
        if (Patience is <= 0) return ValidationResult.Error($"--patience must be at least 1, but was {Patience}.");
        if (BatchSize <= 0) return ValidationResult.Error($"--batch-size must be at least 1, but was {BatchSize}.");
        if (Latent <= 0) return ValidationResult.Error($"--latent must be at least 1, but was {Latent}.");
        if (!(Dropout >= 0 && Dropout < 1)) return ValidationResult.Error($"--dropout must lie in [0, 1), but was {Dropout}.");
        if (LearningRateOption is { } rate && (!(rate > 0) || double.IsInfinity(rate))) return ValidationResult.Error($"--lr must be positive, but was {LearningRate}.");
        if (!(AnnealCap >= 0) || double.IsInfinity(AnnealCap)) return ValidationResult.Error($"--anneal-cap must not be negative, but was {AnnealCap}.");
        if (AnnealSteps < 0) return ValidationResult.Error($"--anneal-steps must not be negative, but was {AnnealSteps}.");
        if (ThreadsError(Threads) is { } threadsError) return threadsError;
        if (Users < 20) return ValidationResult.Error($"--users must be at least 20, but was {Users}.");
        if (Items < 25) return ValidationResult.Error($"--items must be at least 25, but was {Items}.");
        try
        {
            if (HiddenSizes.Any(h => h <= 0)) return ValidationResult.Error($"--hidden sizes must be positive, but were '{Hidden}'.");
        }
        catch (FormatException)
        {
            return ValidationResult.Error($"--hidden must be comma-separated numbers such as 600 or 600,300, but was '{Hidden}'.");
        }
        return ValidationResult.Success();
    }
}
