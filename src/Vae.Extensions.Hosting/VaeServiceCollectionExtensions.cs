using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Vae.Extensions.Hosting;

/// <summary>
/// <c>services.AddVae(...)</c>: the served model as a singleton <see cref="VaeModelProvider"/>, its
/// <see cref="VaeServingOptions"/> validated at start-up, the model loaded when the host starts, and the health check
/// <see cref="VaeModelHealthCheck"/> named <c>vae</c>.
/// </summary>
/// <example>
/// <code>
/// // appsettings.json: { "Vae": { "ModelPath": "detector.vae" } }
/// builder.Services.AddVae(builder.Configuration.GetSection("Vae"));
/// app.MapHealthChecks("/health");
/// </code>
/// </example>
public static class VaeServiceCollectionExtensions
{
    /// <summary>Serves the model file that <paramref name="section"/> names (see <see cref="VaeServingOptions"/>); an unknown key in the section is an error.</summary>
    /// <param name="services">The app's services.</param>
    /// <param name="section">The configuration section, <c>configuration.GetSection("Vae")</c>.</param>
    /// <returns>The options builder, for further <c>.Validate(...)</c> checks (validation on start is already on).</returns>
    public static OptionsBuilder<VaeServingOptions> AddVae(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var path = section is IConfigurationSection named ? named.Path : "";
        return AddCore(services, path).Bind(section, binder => binder.ErrorOnUnknownConfiguration = true);
    }

    /// <summary>Serves the model file that <paramref name="configure"/> names (see <see cref="VaeServingOptions"/>).</summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The options builder, for further <c>.Validate(...)</c> checks (validation on start is already on).</returns>
    public static OptionsBuilder<VaeServingOptions> AddVae(this IServiceCollection services, Action<VaeServingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, "").Configure(configure);
    }

    private static OptionsBuilder<VaeServingOptions> AddCore(IServiceCollection services, string sectionPath)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(service => service.ServiceType == typeof(VaeModelProvider)))
            throw new InvalidOperationException("AddVae was called twice: an app serves one model file through it.");
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VaeServingOptions>>(new VaeServingOptionsValidator(sectionPath)));
        services.AddSingleton<VaeModelProvider>();
        services.AddHostedService<VaeModelStartup>();
        services.AddHealthChecks().AddCheck<VaeModelHealthCheck>(VaeModelHealthCheck.Name, tags: [VaeModelHealthCheck.Name]);
        return services.AddOptions<VaeServingOptions>().ValidateOnStart();
    }
}
