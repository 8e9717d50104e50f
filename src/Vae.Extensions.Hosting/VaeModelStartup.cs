using Microsoft.Extensions.Hosting;

namespace Vae.Extensions.Hosting;

/// <summary>Loads the model when the host starts, so a bad file stops start-up with its message instead of failing the first request.</summary>
internal sealed class VaeModelStartup(VaeModelProvider provider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolving the provider loaded the model; touch it so the dependency is not optimized away by readers.
        GC.KeepAlive(provider.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
