using FluentAssertions;
using Vae.Core;
using Xunit;

namespace Vae.Mnist.Tests;

public sealed class TrainSettingsTests
{
    // Spectre.Console.Cli fills in the [DefaultValue]s; a settings object made by hand needs them spelled out.
    private static TrainSettings Defaults() => new() { Epochs = 10, BatchSize = 128, Latent = 20, Beta = 1, LearningRate = 1e-3, Seed = 1 };

    [Fact]
    public void TheDefaultsAreValidAndDescribeThe78440020Model()
    {
        var settings = Defaults();
        settings.Validate().Successful.Should().BeTrue();
        settings.HiddenSizes.Should().Equal(400);
        settings.Architecture.Should().Be(VaeArchitecture.Mlp);
    }

    [Theory]
    [InlineData("--epochs")]
    [InlineData("--batch-size")]
    [InlineData("--latent")]
    [InlineData("--lr")]
    [InlineData("--beta")]
    [InlineData("--hidden")]
    [InlineData("--arch")]
    [InlineData("--threads")]
    [InlineData("--data")]
    public void EachMistakeIsNamedInOneMessage(string option)
    {
        var settings = option switch
        {
            "--epochs" => new TrainSettings { Epochs = 0, BatchSize = 128, Latent = 20, LearningRate = 1e-3 },
            "--batch-size" => new TrainSettings { Epochs = 1, BatchSize = 0, Latent = 20, LearningRate = 1e-3 },
            "--latent" => new TrainSettings { Epochs = 1, BatchSize = 128, Latent = -2, LearningRate = 1e-3 },
            "--lr" => new TrainSettings { Epochs = 1, BatchSize = 128, Latent = 20, LearningRate = 0 },
            "--beta" => new TrainSettings { Epochs = 1, BatchSize = 128, Latent = 20, LearningRate = 1e-3, Beta = double.NaN },
            "--hidden" => new TrainSettings { Epochs = 1, BatchSize = 128, Latent = 20, LearningRate = 1e-3, Hidden = "400,x" },
            "--arch" => new TrainSettings { Epochs = 1, BatchSize = 128, Latent = 20, LearningRate = 1e-3, Arch = "rnn" },
            "--threads" => new TrainSettings { Epochs = 1, BatchSize = 128, Latent = 20, LearningRate = 1e-3, Threads = 0 },
            _ => new TrainSettings { Epochs = 1, BatchSize = 128, Latent = 20, LearningRate = 1e-3, Data = "a", Download = "b" },
        };

        var result = settings.Validate();

        result.Successful.Should().BeFalse();
        result.Message.Should().Contain(option);
    }

    [Fact]
    public void HiddenSizesAreReadAsCommaSeparatedNumbers() =>
        new TrainSettings { Hidden = "512, 256,128" }.HiddenSizes.Should().Equal(512, 256, 128);
}
