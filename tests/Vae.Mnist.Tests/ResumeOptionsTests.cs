using Vae.Core;

namespace Vae.Mnist.Tests;

public sealed class ResumeOptionsTests
{
    private static readonly VaeOptions Stored = new() { LatentSize = 2, HiddenSizes = [16] };
    private static readonly VaeTrainerOptions StoredTraining = new() { BatchSize = 64, LearningRate = 1e-3, Seed = 1 };

    [Fact]
    public void OptionsGivenInEitherSpellingAreRecognised() =>
        TrainCommand.GivenOptions(["--lr=0.01", "--latent", "2", "--resume", "7"]).Should().BeEquivalentTo("--lr", "--latent", "--resume");

    [Fact]
    public void TheDefaultsOfOptionsNotGivenDoNotContradictTheCheckpoint()
    {
        // The defaults say latent 20 and batch 128; the checkpoint says 2 and 64; neither option was given.
        var settings = new TrainSettings { Latent = 20, BatchSize = 128, LearningRate = 1e-3, Seed = 1 };

        TrainCommand.Contradictions(settings, new HashSet<string> { "--epochs", "--resume" }, Stored, StoredTraining).Should().BeEmpty();
    }

    [Fact]
    public void EachGivenOptionThatDiffersIsNamedWithBothValues()
    {
        var settings = new TrainSettings { Latent = 3, BatchSize = 64, LearningRate = 0.01, Seed = 1 };

        var contradictions = TrainCommand.Contradictions(settings, new HashSet<string> { "--latent", "--batch-size", "--lr" }, Stored, StoredTraining);

        contradictions.Should().Equal("--latent 2, but --latent 3 was given", "--lr 0.001, but --lr 0.01 was given");
    }

    [Fact]
    public void AWeightAverageGivenAgainstACheckpointWithoutOneIsNamed()
    {
        var settings = new TrainSettings { Latent = 2, BatchSize = 64, LearningRate = 1e-3, Seed = 1, WeightAverage = 0.99 };

        TrainCommand.Contradictions(settings, new HashSet<string> { "--weight-average" }, Stored, StoredTraining)
            .Should().Equal("--weight-average none, but --weight-average 0.99 was given");
        TrainCommand.Contradictions(settings, new HashSet<string> { "--weight-average" }, Stored, StoredTraining with { WeightAverageDecay = 0.99 })
            .Should().BeEmpty();
    }
}
