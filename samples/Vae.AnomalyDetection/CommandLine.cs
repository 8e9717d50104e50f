namespace Vae.AnomalyDetection;

/// <summary>Adjusts the raw arguments before Spectre.Console.Cli parses them.</summary>
internal static class CommandLine
{
    /// <summary>
    /// Spectre.Console.Cli refuses one-letter long options, so the customary <c>--k</c> (and <c>--k=N</c>) is read
    /// as the short option <c>-k</c>.
    /// </summary>
    public static string[] Normalize(IEnumerable<string> args) =>
        args.Select(arg => arg == "--k" ? "-k" : arg.StartsWith("--k=", StringComparison.Ordinal) ? "-k=" + arg[4..] : arg).ToArray();
}
