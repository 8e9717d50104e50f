using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Vae.Samples.Tests;

namespace Vae.Extensions.Hosting.Tests;

/// <summary>The health check names the file, the architecture and the load time, and says when a reload failed.</summary>
public sealed class VaeModelHealthCheckTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task ItReportsTheFileArchitectureAndLoadTimeThenAFailedReloadAsDegraded()
    {
        var path = temp.File("detector.vae");
        ModelFiles.SaveDetector(path, 4, seed: 1);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Vae:ModelPath"] = path, ["Vae:ReloadOnChange"] = "false" });
        builder.Services.AddVae(builder.Configuration.GetSection("Vae"));
        using var host = builder.Build();
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync();

        report.Status.Should().Be(HealthStatus.Healthy);
        var entry = report.Entries[VaeModelHealthCheck.Name];
        entry.Data["file"].Should().Be(Path.GetFullPath(path));
        entry.Data["architecture"].Should().Be(ModelFiles.Options(4).ToString());
        entry.Data["version"].Should().Be(1L);
        ((double)entry.Data["loadMilliseconds"]).Should().BeGreaterThan(0);
        DateTimeOffset.Parse((string)entry.Data["loadedAt"]).Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        entry.Description.Should().Contain(ModelFiles.Options(4).ToString()).And.Contain(Path.GetFullPath(path));

        ModelFiles.ReplaceWithBytes(path, [1, 2, 3]);
        host.Services.GetRequiredService<VaeModelProvider>().TryReload().Should().BeFalse();
        report = await health.CheckHealthAsync();

        report.Status.Should().Be(HealthStatus.Degraded);
        entry = report.Entries[VaeModelHealthCheck.Name];
        entry.Description.Should().Contain("could not be loaded").And.Contain("version 1");
        ((string)entry.Data["lastReloadError"]).Should().Contain(Path.GetFullPath(path));
        entry.Data["architecture"].Should().Be(ModelFiles.Options(4).ToString(), "the old model still serves");
        await host.StopAsync();
    }
}
