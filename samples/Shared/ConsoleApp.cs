using System.Reflection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Vae.Samples;

/// <summary>What the sample consoles share around Spectre.Console.Cli: argument spelling, signals and one-line errors.</summary>
internal static class ConsoleApp
{
    /// <summary>
    /// Spectre.Console.Cli refuses one-letter long options, so the customary <c>--k</c> (and <c>--k=N</c>) is read
    /// as the short option <c>-k</c>.
    /// </summary>
    public static string[] NormalizeArguments(IEnumerable<string> args) =>
        args.Select(arg => arg == "--k" ? "-k" : arg.StartsWith("--k=", StringComparison.Ordinal) ? "-k=" + arg[4..] : arg).ToArray();

    /// <summary>The settings every sample shares: a mistyped option is an error, not a silent default.</summary>
    public static void ConfigureCommon(IConfigurator config)
    {
        config.UseStrictParsing();
        config.PropagateExceptions();
    }

    /// <summary>
    /// Runs the app; people make mistakes with paths and numbers, so an error is one line unless --verbose.
    /// Ctrl-C and SIGTERM cancel the token the commands get.
    /// </summary>
    /// <param name="app">The configured app.</param>
    /// <param name="args">The command line.</param>
    /// <param name="settingsFor">The settings type of the command the arguments choose, for "did you mean" suggestions.</param>
    public static async Task<int> RunAsync(ICommandApp app, string[] args, Func<IReadOnlyList<string>, Type> settingsFor)
    {
        args = NormalizeArguments(args);
        using var stop = new StopSignals();
        try
        {
            return await app.RunAsync(args, stop.Token);
        }
        catch (OperationCanceledException e) when (stop.Received is not null)
        {
            Flush();
            Console.Error.WriteLine(e is RunInterruptedException ? $"interrupted by {stop.Received} {e.Message}" : $"interrupted by {stop.Received}");
            return stop.ExitCode;
        }
        catch (Exception e)
        {
            Flush();
            var message = e is CommandParseException && UnknownOption(args, settingsFor(args)) is { } unknown ? unknown : Describe(e);
            Console.Error.WriteLine($"error: {message}");
            // The stack trace as text: rendering it through Spectre would parse its brackets as markup.
            if (args.Contains("--verbose")) Console.Error.WriteLine(e.ToString());
            return 1;
        }

        static void Flush() => AnsiConsole.Console.Profile.Out.Writer.Flush();
    }

    /// <summary>
    /// The library's message first (it names the file and the problem), then what the inner exceptions add to it:
    /// the innermost alone ("Unable to read beyond the end of the stream.") would not say which file.
    /// </summary>
    public static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException) continue;
            var message = e.Message.Trim();
            if (message.Length > 0 && !parts.Any(part => part.Contains(message, StringComparison.Ordinal))) parts.Add(message);
        }
        return parts.Count == 0 ? exception.GetType().Name : string.Join(": ", parts.Select((part, i) => i < parts.Count - 1 ? part.TrimEnd('.') : part));
    }

    /// <summary>"unknown option '--epoch'; did you mean '--epochs'?" for the first option the command does not have, or null.</summary>
    public static string? UnknownOption(IReadOnlyList<string> args, Type settings)
    {
        var known = KnownOptions(settings);
        foreach (var arg in args)
        {
            if (!arg.StartsWith('-') || arg.Length < 2 || char.IsDigit(arg[1]) || arg[1] == '.') continue; // a negative number is a value
            var name = arg.Split('=', 2)[0];
            if (known.Contains(name)) continue;
            var nearest = known.Where(k => k.StartsWith("--", StringComparison.Ordinal))
                .Select(k => (Option: k, Distance: EditDistance(name, k))).MinBy(c => c.Distance);
            var suggestion = nearest.Option is not null && nearest.Distance <= Math.Max(2, name.Length / 3) ? $"; did you mean '{nearest.Option}'?" : "; see --help";
            return $"unknown option '{name}'{suggestion}";
        }
        return null;
    }

    private static HashSet<string> KnownOptions(Type settings)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "-h", "--help", "-?" };
        foreach (var property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } option) continue;
            foreach (var name in option.LongNames) names.Add("--" + name);
            foreach (var name in option.ShortNames) names.Add("-" + name);
        }
        return names;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
