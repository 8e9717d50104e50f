using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Vae.Core;

/// <summary>
/// <see cref="VaeOptions"/> from an app's configuration (appsettings.json, environment variables), with mistakes as
/// messages that name the setting instead of the binder's reflection errors, and the options pattern:
/// <see cref="AddVaeOptions"/> makes <c>IOptions&lt;VaeOptions&gt;</c>, <c>IOptionsMonitor&lt;VaeOptions&gt;</c> and
/// <c>ValidateOnStart()</c> work.
/// </summary>
/// <example>
/// <code>
/// // appsettings.json: { "Vae": { "InputSize": 10, "HiddenSizes": [32, 16], "LatentSize": 3 } }
/// services.AddVaeOptions(configuration.GetSection("Vae")).ValidateOnStart();
/// // later: IOptions&lt;VaeOptions&gt; options  ->  new VariationalAutoencoder(options.Value)   (10-32-16-3)
/// var direct = configuration.GetSection("Vae").GetVaeOptions();   // the same options without dependency injection
/// </code>
/// </example>
/// <remarks>
/// <see cref="VaeOptions"/> is immutable and its lists replace the defaults only when given to its constructor, so
/// <c>services.Configure&lt;VaeOptions&gt;(section)</c>, which needs a parameterless constructor and appends to
/// existing lists, is not the way: <see cref="AddVaeOptions"/> registers a factory that binds through the constructor
/// (as <c>section.Get&lt;VaeOptions&gt;()</c> does) and validates with <see cref="VaeOptionsValidator"/>.
/// </remarks>
public static class VaeOptionsConfiguration
{
    private static readonly string[] ListSettings = [nameof(VaeOptions.HiddenSizes), nameof(VaeOptions.ConvChannels)];

    /// <summary>
    /// Binds the options in <paramref name="section"/> and validates them (<see cref="VaeOptions.Validate"/>); what the
    /// section leaves out keeps its default, and a missing or empty section gives the defaults.
    /// </summary>
    /// <param name="section">The configuration section, <c>configuration.GetSection("Vae")</c>.</param>
    /// <returns>The options the section describes.</returns>
    /// <exception cref="OptionsValidationException">
    /// A setting cannot be read (an empty list <c>[]</c>, which the JSON configuration stores as an empty string; a word
    /// where a number goes) or the options are invalid; the message names the setting by its configuration path.
    /// </exception>
    public static VaeOptions GetVaeOptions(this IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = Bind(section, Options.DefaultName);
        var failure = VaeOptionsValidator.Check(options, PathOf(section));
        if (failure is not null) throw new OptionsValidationException(Options.DefaultName, typeof(VaeOptions), [failure]);
        return options;
    }

    /// <summary>
    /// Registers <see cref="VaeOptions"/> bound from <paramref name="section"/> for the options pattern
    /// (<c>IOptions&lt;VaeOptions&gt;</c>, <c>IOptionsSnapshot</c>, <c>IOptionsMonitor</c>), validated by
    /// <see cref="VaeOptionsValidator"/> when first read, or at start-up after <c>.ValidateOnStart()</c>.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="section">The configuration section, <c>configuration.GetSection("Vae")</c>.</param>
    /// <returns>The options builder, for <c>.ValidateOnStart()</c> and further <c>.Validate(...)</c> checks.</returns>
    public static OptionsBuilder<VaeOptions> AddVaeOptions(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions();
        services.Replace(ServiceDescriptor.Transient<IOptionsFactory<VaeOptions>>(provider =>
            new Factory(section, provider.GetServices<IValidateOptions<VaeOptions>>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VaeOptions>>(new VaeOptionsValidator(PathOf(section))));
        return new OptionsBuilder<VaeOptions>(services, Options.DefaultName);
    }

    private static string PathOf(IConfiguration section) => section is IConfigurationSection named ? named.Path : "";

    private static string Setting(IConfiguration section, string key) => PathOf(section) is { Length: > 0 } path ? $"{path}:{key}" : key;

    // Binding through the constructor (lists replace the defaults); an unreadable setting becomes a message naming it.
    private static VaeOptions Bind(IConfiguration section, string name)
    {
        foreach (var key in ListSettings)
        {
            var list = section.GetSection(key);
            if (list.Value is not null && !list.GetChildren().Any())
            {
                var detail = list.Value.Length == 0
                    ? "is empty: an empty list [] reaches the options as an empty string, which is no list. List the widths (for example [32, 16]), or leave the setting out for the default"
                    : $"is '{list.Value}', not a list of numbers such as [32, 16]";
                throw new OptionsValidationException(name, typeof(VaeOptions),
                    [$"{Setting(section, key)} {detail}; a model without hidden layers is described in code or model JSON (HiddenSizes = [])."]);
            }
        }
        try
        {
            return section.Get<VaeOptions>() ?? new VaeOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new OptionsValidationException(name, typeof(VaeOptions), [$"The VaeOptions in {(PathOf(section) is { Length: > 0 } p ? $"'{p}'" : "the configuration")} cannot be read: {e.Message}"]);
        }
    }

    private sealed class Factory(IConfiguration section, IEnumerable<IValidateOptions<VaeOptions>> validators) : IOptionsFactory<VaeOptions>
    {
        public VaeOptions Create(string name)
        {
            var options = Bind(section, name);
            var failures = validators.Select(v => v.Validate(name, options)).Where(r => r.Failed).SelectMany(r => r.Failures ?? [r.FailureMessage ?? "invalid"]).ToList();
            if (failures.Count > 0) throw new OptionsValidationException(name, typeof(VaeOptions), failures);
            return options;
        }
    }
}

/// <summary>
/// Validates <see cref="VaeOptions"/> for the options pattern with <see cref="VaeOptions.Validate"/>: its message
/// becomes the failure, prefixed with the configuration section it came from.
/// </summary>
/// <param name="section">The configuration path of the options, for the messages; empty for none.</param>
public sealed class VaeOptionsValidator(string section = "") : IValidateOptions<VaeOptions>
{
    /// <summary>Succeeds for valid options, fails with the first invalid setting otherwise.</summary>
    /// <param name="name">The options' name (unused: every name is validated).</param>
    /// <param name="options">The options to check.</param>
    /// <returns>Success, or the failure that names the setting.</returns>
    public ValidateOptionsResult Validate(string? name, VaeOptions options) =>
        Check(options, section) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;

    internal static string? Check(VaeOptions options, string section)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
            return null;
        }
        catch (ArgumentException e)
        {
            var where = section.Length > 0 ? $"{section}: " : "";
            return where + e.Message;
        }
    }
}
