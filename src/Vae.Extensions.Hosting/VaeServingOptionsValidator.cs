using Microsoft.Extensions.Options;

namespace Vae.Extensions.Hosting;

/// <summary>Checks <see cref="VaeServingOptions"/> before anything is loaded; messages name the setting by its configuration path.</summary>
internal sealed class VaeServingOptionsValidator(string sectionPath) : IValidateOptions<VaeServingOptions>
{
    public ValidateOptionsResult Validate(string? name, VaeServingOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelPath))
            failures.Add($"{Setting(nameof(options.ModelPath))} is required: the model file to serve (.vae).");
        else if (!File.Exists(options.ModelPath))
            failures.Add($"{Setting(nameof(options.ModelPath))} is '{options.ModelPath}', but there is no such file (full path '{Path.GetFullPath(options.ModelPath)}').");
        if (options.ReloadDelay < TimeSpan.Zero)
            failures.Add($"{Setting(nameof(options.ReloadDelay))} must be zero or more, but was {options.ReloadDelay}.");
        if (options.Threshold is double threshold && double.IsNaN(threshold))
            failures.Add($"{Setting(nameof(options.Threshold))} must not be NaN.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private string Setting(string key) => sectionPath.Length > 0 ? $"{sectionPath}:{key}" : key;
}
