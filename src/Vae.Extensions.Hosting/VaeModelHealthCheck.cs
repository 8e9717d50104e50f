using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Vae.Extensions.Hosting;

/// <summary>
/// Reports the served model: healthy with its file, architecture, version and load time; degraded when the file was
/// replaced by one that could not be loaded (the old model still serves), with the library's message. Registered by
/// <see cref="VaeServiceCollectionExtensions.AddVae(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{VaeServingOptions})"/>
/// under the name <see cref="Name"/>.
/// </summary>
/// <param name="provider">The served model.</param>
public sealed class VaeModelHealthCheck(VaeModelProvider provider) : IHealthCheck
{
    /// <summary>The name the check is registered under, and its tag.</summary>
    public const string Name = "vae";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = provider.Current;
        var failure = provider.LastReloadFailure;
        var data = new Dictionary<string, object>
        {
            ["file"] = snapshot.Path,
            ["architecture"] = snapshot.Architecture,
            ["version"] = snapshot.Version,
            ["loadedAt"] = snapshot.LoadedAt.ToString("O", CultureInfo.InvariantCulture),
            ["loadMilliseconds"] = Math.Round(snapshot.LoadDuration.TotalMilliseconds, 1),
            ["fileBytes"] = snapshot.FileLength,
            ["detector"] = snapshot.HasSavedDetector ? "saved" : "model only",
            ["threshold"] = double.IsFinite(snapshot.Detector.Threshold) ? snapshot.Detector.Threshold : snapshot.Detector.Threshold.ToString(CultureInfo.InvariantCulture),
            ["reloads"] = provider.Reloads,
            ["failedReloads"] = provider.FailedReloads,
        };
        var served = $"Serving the {snapshot.Architecture} model from '{snapshot.Path}' (version {snapshot.Version}, loaded at {snapshot.LoadedAt:O} in {snapshot.LoadDuration.TotalMilliseconds:F0} ms).";
        if (failure is null) return Task.FromResult(HealthCheckResult.Healthy(served, data));
        data["lastReloadError"] = failure.Message;
        data["lastReloadAttempt"] = failure.At.ToString("O", CultureInfo.InvariantCulture);
        return Task.FromResult(HealthCheckResult.Degraded(
            $"The model file '{failure.Path}' changed at {failure.At:O} but could not be loaded: {failure.Message} {served}", data: data));
    }
}
