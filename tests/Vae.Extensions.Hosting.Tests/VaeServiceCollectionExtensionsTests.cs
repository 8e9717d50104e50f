using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vae.Samples.Tests;
using static TorchSharp.torch;

namespace Vae.Extensions.Hosting.Tests;

/// <summary>services.AddVae: one model for the app, loaded at start-up, options checked before anything is read.</summary>
public sealed class VaeServiceCollectionExtensionsTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static IHost Host(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddVae(builder.Configuration.GetSection("Vae"));
        return builder.Build();
    }

    [Fact]
    public async Task TheModelIsLoadedOnceAtStartUpAndSharedAsASingleton()
    {
        var path = temp.File("detector.vae");
        ModelFiles.SaveDetector(path, hidden: 4, seed: 1, threshold: 7.5);
        using var host = Host(new() { ["Vae:ModelPath"] = path, ["Vae:ReloadOnChange"] = "false" });

        await host.StartAsync();

        var provider = host.Services.GetRequiredService<VaeModelProvider>();
        host.Services.GetRequiredService<VaeModelProvider>().Should().BeSameAs(provider);
        host.Services.GetRequiredService<IOptions<VaeServingOptions>>().Value.ReloadOnChange.Should().BeFalse();
        provider.Current.Version.Should().Be(1);
        provider.Current.Architecture.Should().Be(ModelFiles.Options(4).ToString());
        provider.Current.Path.Should().Be(Path.GetFullPath(path));
        provider.Current.HasSavedDetector.Should().BeTrue();
        using var lease = provider.Acquire();
        lease.Detector.Threshold.Should().Be(7.5);
        using var scope = NewDisposeScope();
        lease.Detector.Score(ModelFiles.Rows()).Should().Equal(ModelFiles.ScoresOf(path));
        await host.StopAsync();
    }

    [Theory]
    [InlineData(null, "Vae:ModelPath is required*")]
    [InlineData("missing.vae", "Vae:ModelPath is 'missing.vae', but there is no such file*")]
    public async Task BadOptionsStopStartUpWithAMessageNamingTheSetting(string? modelPath, string message)
    {
        using var host = Host(new() { ["Vae:ModelPath"] = modelPath });

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Match(message);
    }

    [Fact]
    public async Task ANegativeDelayAndAMisspeltKeyAreRefused()
    {
        var path = temp.File("model.vae");
        ModelFiles.SaveModel(path, 4, 1);
        using var negative = Host(new() { ["Vae:ModelPath"] = path, ["Vae:ReloadDelay"] = "-00:00:01" });
        (await FluentActions.Awaiting(() => negative.StartAsync()).Should().ThrowAsync<OptionsValidationException>())
            .Which.Message.Should().Contain("Vae:ReloadDelay must be zero or more");

        using var misspelt = Host(new() { ["Vae:ModelPath"] = path, ["Vae:ReloadOnChnage"] = "false" });
        (await FluentActions.Awaiting(() => misspelt.StartAsync()).Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain("ReloadOnChnage");
    }

    [Fact]
    public async Task AFileThatIsNotAModelStopsStartUpNamingTheFile()
    {
        var path = temp.File("broken.vae");
        File.WriteAllText(path, "not a model");
        using var host = Host(new() { ["Vae:ModelPath"] = path });

        (await FluentActions.Awaiting(() => host.StartAsync()).Should().ThrowAsync<InvalidDataException>())
            .Which.Message.Should().Contain(Path.GetFullPath(path));
    }

    [Fact]
    public async Task AModelWithoutADetectorFlagsAboveTheConfiguredThresholdUnlessADetectorIsRequired()
    {
        var path = temp.File("model.vae");
        ModelFiles.SaveModel(path, 4, 2);
        using var host = Host(new() { ["Vae:ModelPath"] = path, ["Vae:Threshold"] = "3.25" });
        await host.StartAsync();
        var provider = host.Services.GetRequiredService<VaeModelProvider>();
        provider.Current.HasSavedDetector.Should().BeFalse();
        provider.Current.Detector.Threshold.Should().Be(3.25);
        await host.StopAsync();

        using var strict = Host(new() { ["Vae:ModelPath"] = path, ["Vae:RequireDetector"] = "true" });
        (await FluentActions.Awaiting(() => strict.StartAsync()).Should().ThrowAsync<InvalidDataException>())
            .Which.Message.Should().Contain("no anomaly detector").And.Contain("RequireDetector");
    }

    [Fact]
    public void AddVaeTwiceIsRefused()
    {
        var services = new ServiceCollection();
        services.AddVae(options => options.ModelPath = "a.vae");

        FluentActions.Invoking(() => services.AddVae(options => options.ModelPath = "b.vae"))
            .Should().Throw<InvalidOperationException>().WithMessage("*twice*");
    }
}
