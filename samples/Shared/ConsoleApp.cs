using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.Samples;

/// <summary>What the sample consoles share around Spectre.Console.Cli: argument spelling and one-line errors.</summary>
internal static class ConsoleApp
{
    /// <summary>
    /// Spectre.Console.Cli refuses one-letter long options, so the customary <c>--k</c> (and <c>--k=N</c>) is read
    /// as the short option <c>-k</c>.
    /// </summary>
    public static string[] NormalizeArguments(IEnumerable<string> args) =>
        args.Select(arg => arg == "--k" ? "-k" : arg.StartsWith("--k=", StringComparison.Ordinal) ? "-k=" + arg[4..] : arg).ToArray();

    /// <summary>Runs the app; people make mistakes with paths and numbers, so an error is one line unless --verbose.</summary>
    public static async Task<int> RunAsync(ICommandApp app, string[] args)
    {
        args = NormalizeArguments(args);
        try
        {
            return await app.RunAsync(args);
        }
        catch (Exception e) when (!args.Contains("--verbose"))
        {
            var inner = e is CommandRuntimeException or CommandParseException ? e : e.GetBaseException();
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            Console.Error.WriteLine($"error: {inner.Message}");
            return e is OperationCanceledException ? 130 : 1;
        }
    }
}
