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

    /// <summary>
    /// The value of <typeparamref name="TEnum"/> that a command-line word names, or null: the member's name in any case,
    /// with hyphens between its words (<c>continuous-bernoulli</c>), one of <paramref name="allowed"/>, or an alias.
    /// </summary>
    internal static TEnum? Choice<TEnum>(string value, TEnum[] allowed, params (string Word, TEnum Value)[] aliases) where TEnum : struct, Enum
    {
        var word = value.Trim();
        foreach (var alias in aliases)
            if (string.Equals(alias.Word, word, StringComparison.OrdinalIgnoreCase)) return alias.Value;
        var name = word.Replace("-", "", StringComparison.Ordinal);
        // Enum.TryParse also reads numbers and comma-separated flags, which are no words of the command line.
        return name.Length > 0 && name.All(char.IsAsciiLetter) && Enum.TryParse<TEnum>(name, ignoreCase: true, out var parsed) && allowed.Contains(parsed)
            ? parsed
            : null;
    }

    /// <summary>The error for a word that names none of <paramref name="words"/>: "--x must be a, b or c, but was 'd'."</summary>
    internal static ValidationResult ChoiceError(string option, string value, params string[] words) =>
        ValidationResult.Error($"{option} must be {string.Join(", ", words[..^1])} or {words[^1]}, but was '{value}'.");

    /// <summary>How the command line spells <paramref name="value"/>: its name in lower case, a hyphen between words.</summary>
    internal static string Word<TEnum>(TEnum value) where TEnum : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
