namespace Vae.Extensions.Hosting;

/// <summary>
/// Which model file an app serves and how it follows changes to it; bound from configuration by
/// <see cref="VaeServiceCollectionExtensions.AddVae(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>
/// (for example the section <c>"Vae"</c> of appsettings.json: <c>{ "Vae": { "ModelPath": "model.vae" } }</c>).
/// </summary>
public sealed class VaeServingOptions
{
    /// <summary>
    /// The model file to serve: one written by <c>VariationalAutoencoder.Save</c> or <c>AnomalyDetector.Save</c>
    /// (a detector's threshold and score kind come with it). A relative path is relative to the working directory.
    /// </summary>
    /// <value>No default: required, and the file must exist at start-up.</value>
    public string ModelPath { get; set; } = "";

    /// <summary>Whether the model is loaded again when the file is replaced or rewritten.</summary>
    /// <value>Defaults to true.</value>
    public bool ReloadOnChange { get; set; } = true;

    /// <summary>
    /// How long the file must stay unchanged after a change is seen before it is loaded, so that a copy still being
    /// written is not read half-way (an atomic rename needs no delay; a failed read is retried at the next change).
    /// </summary>
    /// <value>Defaults to 250 ms; zero or more.</value>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The threshold of the anomaly flags for a file that holds a model without a detector; a detector file's own
    /// threshold wins.
    /// </summary>
    /// <value>Defaults to null: positive infinity, so nothing is flagged.</value>
    public double? Threshold { get; set; }

    /// <summary>Whether a file without an anomaly detector (one saved by <c>VariationalAutoencoder.Save</c>) is refused.</summary>
    /// <value>Defaults to false.</value>
    public bool RequireDetector { get; set; }
}
