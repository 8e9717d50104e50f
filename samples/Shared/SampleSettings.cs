using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.Samples;

/// <summary>The options every command of the samples shares.</summary>
internal abstract class SampleSettings : CommandSettings
{
    [CommandOption("--verbose")]
    [Description("Show stack traces of errors.")]
    public bool Verbose { get; init; }

    /// <summary>The error for a <c>--threads</c> value below 1, or <see langword="null"/> when it is unset or valid.</summary>
    protected static ValidationResult? ThreadsError(int? threads) =>
        threads is <= 0 ? ValidationResult.Error($"--threads must be at least 1, but was {threads}.") : null;
}
