using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Vae.Core.Tests;

/// <summary>
/// Options bound from <c>IConfiguration</c> (an app's appsettings.json) are what the configuration says: a list
/// replaces the default list instead of being appended to it, and what the configuration leaves out keeps its default.
/// </summary>
public sealed class ConfigurationBindingTests
{
    private static IConfiguration Configuration(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    [Fact]
    public void ListsFromTheConfigurationReplaceTheDefaults()
    {
        var options = Configuration("""{ "Vae": { "InputSize": 10, "HiddenSizes": [32, 16], "LatentSize": 3 } }""")
            .GetSection("Vae").Get<VaeOptions>()!;

        options.HiddenSizes.Should().Equal(32, 16);
        options.ToString().Should().Be("10-32-16-3");
        options.Should().Be(new VaeOptions { InputSize = 10, HiddenSizes = [32, 16], LatentSize = 3 });
    }

    [Fact]
    public void AConvolutionalModelFromTheConfigurationTakesItsInputSizeFromItsImage()
    {
        var options = Configuration("""
            { "Vae": { "Architecture": "Convolutional", "ImageChannels": 3, "ImageHeight": 32, "ImageWidth": 32,
                       "ConvChannels": [16], "HiddenSizes": [64], "LatentSize": 8, "Activation": "GELU", "LayerNormalization": true } }
            """).GetSection("Vae").Get<VaeOptions>()!;

        options.Should().Be(new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, ImageChannels = 3, ImageHeight = 32, ImageWidth = 32,
            ConvChannels = [16], HiddenSizes = [64], LatentSize = 8, Activation = VaeActivation.GELU, LayerNormalization = true,
        });
        options.InputSize.Should().Be(3 * 32 * 32);
        options.Validate();
    }

    [Fact]
    public void WhatTheConfigurationLeavesOutKeepsItsDefault()
    {
        Configuration("""{ "Vae": { "LatentSize": 2 } }""").GetSection("Vae").Get<VaeOptions>()
            .Should().Be(new VaeOptions { LatentSize = 2 });
    }

    [Fact]
    public void TrainerOptionsAreWhatTheConfigurationSays()
    {
        var options = Configuration("""
            { "Training": { "Epochs": 30, "BatchSize": 64, "LearningRate": 0.0005, "Beta": 0.5, "KlWarmupEpochs": 5,
                            "MaxGradientNorm": 2.5, "Seed": 42, "Device": "cpu", "CpuThreads": 2, "UseFusedCpuKernels": false,
                            "EarlyStoppingPatience": 3, "CheckpointPath": "run.ckpt", "CheckpointEveryEpochs": 2 } }
            """).GetSection("Training").Get<VaeTrainerOptions>()!;

        options.Should().Be(new VaeTrainerOptions
        {
            Epochs = 30, BatchSize = 64, LearningRate = 0.0005, Beta = 0.5, KlWarmupEpochs = 5, MaxGradientNorm = 2.5, Seed = 42,
            Device = "cpu", CpuThreads = 2, UseFusedCpuKernels = false, EarlyStoppingPatience = 3, CheckpointPath = "run.ckpt",
            CheckpointEveryEpochs = 2,
        });
    }

    [Fact]
    public void AnEmptyListIsAValidationMessageNamingTheSetting()
    {
        var section = Configuration("""{ "Vae": { "InputSize": 10, "HiddenSizes": [], "LatentSize": 3 } }""").GetSection("Vae");

        var read = () => section.GetVaeOptions();

        read.Should().Throw<OptionsValidationException>().WithMessage("Vae:HiddenSizes is empty*[32, 16]*");
    }

    [Fact]
    public void TheOptionsPatternGivesTheConfiguredListsAndValidatesOnStart()
    {
        var configuration = Configuration("""{ "Vae": { "InputSize": 10, "HiddenSizes": [32, 16], "LatentSize": 3 }, "Bad": { "LatentSize": 0 } }""");
        var services = new ServiceCollection();
        services.AddVaeOptions(configuration.GetSection("Vae")).ValidateOnStart();
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<VaeOptions>>().Value;
        options.HiddenSizes.Should().Equal(32, 16);
        options.ToString().Should().Be("10-32-16-3");
        configuration.GetSection("Vae").GetVaeOptions().Should().Be(options);

        var badServices = new ServiceCollection();
        badServices.AddVaeOptions(configuration.GetSection("Bad")).ValidateOnStart();
        using var bad = badServices.BuildServiceProvider();
        var start = () => bad.GetRequiredService<IStartupValidator>().Validate();
        start.Should().Throw<OptionsValidationException>().WithMessage("*Bad: LatentSize must be positive*");
    }

    [Fact]
    public void AnEmptyListInTheOptionsPatternFailsAtStartWithTheSameMessage()
    {
        var services = new ServiceCollection();
        services.AddVaeOptions(Configuration("""{ "Vae": { "HiddenSizes": [] } }""").GetSection("Vae")).ValidateOnStart();
        using var provider = services.BuildServiceProvider();

        var start = () => provider.GetRequiredService<IStartupValidator>().Validate();

        start.Should().Throw<OptionsValidationException>().WithMessage("*Vae:HiddenSizes is empty*");
    }
}
