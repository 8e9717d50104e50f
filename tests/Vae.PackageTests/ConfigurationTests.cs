using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Vae.PackageTests;

/// <summary>Options bound from an app's JSON configuration are exactly what it says, and build a working model.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public void ModelAndTrainerOptionsBindFromJson()
    {
        const string json = """
            {
              "Vae": { "InputSize": 12, "HiddenSizes": [32, 16], "LatentSize": 3, "Activation": "GELU", "HiddenDropout": 0.1 },
              "Training": { "Epochs": 2, "BatchSize": 8, "LearningRate": 0.002, "WeightDecay": 0.01, "Seed": 4 }
            }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

        var options = configuration.GetSection("Vae").Get<VaeOptions>()!;
        var training = configuration.GetSection("Training").Get<VaeTrainerOptions>()!;

        options.Should().Be(new VaeOptions { InputSize = 12, HiddenSizes = [32, 16], LatentSize = 3, Activation = VaeActivation.GELU, HiddenDropout = 0.1 });
        options.HiddenSizes.Should().Equal(32, 16);
        training.Should().Be(new VaeTrainerOptions { Epochs = 2, BatchSize = 8, LearningRate = 0.002, WeightDecay = 0.01, Seed = 4 });
        using var model = new VariationalAutoencoder(options);
        using var trainer = new VaeTrainer(model, training);
        trainer.Fit(TestData.BinaryRows(24, 12, seed: 1)).History.Should().HaveCount(2);
    }

    [Fact]
    public void TheOptionsPatternGivesAWorkingModelAndAnEmptyListFailsAtStart()
    {
        const string json = """
            { "Vae": { "InputSize": 10, "HiddenSizes": [32, 16], "LatentSize": 3 }, "Empty": { "HiddenSizes": [] } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddVaeOptions(configuration.GetSection("Vae")).ValidateOnStart();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IOptions<VaeOptions>>().Value;
        options.ToString().Should().Be("10-32-16-3");
        configuration.GetSection("Vae").Get<VaeOptions>()!.ToString().Should().Be("10-32-16-3", "the binder still replaces the default list");
        using var model = new VariationalAutoencoder(options);

        var empty = new ServiceCollection();
        empty.AddVaeOptions(configuration.GetSection("Empty")).ValidateOnStart();
        using var emptyProvider = empty.BuildServiceProvider();
        var start = () => emptyProvider.GetRequiredService<IStartupValidator>().Validate();
        start.Should().Throw<OptionsValidationException>().WithMessage("*Empty:HiddenSizes is empty*");
    }
}
