using System.ComponentModel;
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
    /// <param name="defaultSettings">The settings of the default command, to name what a mistyped command line got wrong.</param>
    /// <param name="commands">The settings of each named command.</param>
    public static async Task<int> RunAsync(ICommandApp app, string[] args, Type defaultSettings, IReadOnlyDictionary<string, Type>? commands = null)
    {
        args = NormalizeArguments(args);
        commands ??= new Dictionary<string, Type>();
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
            // Spectre's parse errors say little ("Unknown command 'stray'", "Failed to convert '__default_command'"): a
            // reading of the command line against the settings names the argument and what was wrong with it.
            var problem = e is CommandParseException or CommandRuntimeException ? CommandLineProblem(args, defaultSettings, commands) : null;
            Console.Error.WriteLine($"error: {problem ?? Describe(e)}");
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

    /// <summary>
    /// The first thing wrong with a command line, in the user's words: an unknown option (with the nearest known one),
    /// an unknown command, a stray argument, a missing value or a value of the wrong kind; null if none is found.
    /// </summary>
    public static string? CommandLineProblem(IReadOnlyList<string> args, Type defaultSettings, IReadOnlyDictionary<string, Type> commands)
    {
        var first = 0;
        var settings = defaultSettings;
        if (args.Count > 0 && commands.TryGetValue(args[0], out var command))
        {
            settings = command;
            first = 1;
        }
        var options = OptionsOf(settings);
        for (var i = first; i < args.Count; i++)
        {
            var arg = args[i];
            if (!IsOption(arg))
            {
                return i == 0 && commands.Count > 0
                    ? $"unknown command '{arg}'{Suggestion(arg, commands.Keys)}"
                    : $"unexpected argument '{arg}': the program takes options only (see --help)";
            }
            var parts = arg.Split('=', 2);
            var name = parts[0];
            if (name is "-h" or "-?" or "--help") continue;
            if (!options.TryGetValue(name, out var option))
                return $"unknown option '{name}'{Suggestion(name, options.Keys.Where(k => k.StartsWith("--", StringComparison.Ordinal)))}";
            if (option.Attribute.ValueName is null) continue; // a flag
            var value = parts.Length == 2 ? parts[1] : i + 1 < args.Count && !IsOption(args[i + 1]) ? args[++i] : null;
            if (value is null) return $"{name} needs a value: {name} <{option.Attribute.ValueName}>";
            var type = Nullable.GetUnderlyingType(option.Property.PropertyType) ?? option.Property.PropertyType;
            if (!Converts(type, value)) return $"{name} must be {KindOf(type)}, but was '{value}'";
        }
        return null;
    }

    /// <summary>"-2" and "-.5" are values, not options.</summary>
    private static bool IsOption(string arg) => arg.Length >= 2 && arg[0] == '-' && !char.IsDigit(arg[1]) && arg[1] != '.';

    private static Dictionary<string, (CommandOptionAttribute Attribute, PropertyInfo Property)> OptionsOf(Type settings)
    {
        var options = new Dictionary<string, (CommandOptionAttribute, PropertyInfo)>(StringComparer.Ordinal);
        foreach (var property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } option) continue;
            foreach (var name in option.LongNames) options["--" + name] = (option, property);
            foreach (var name in option.ShortNames) options["-" + name] = (option, property);
        }
        return options;
    }

    private static bool Converts(Type type, string value)
    {
        if (type == typeof(string)) return true;
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static string KindOf(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number" : type == typeof(double) || type == typeof(float) ? "a number" : $"a {type.Name}";

    private static string Suggestion(string given, IEnumerable<string> known)
    {
        var nearest = known.Select(k => (Name: k, Distance: EditDistance(given, k))).OrderBy(c => c.Distance).FirstOrDefault();
        return nearest.Name is not null && nearest.Distance <= Math.Max(2, given.Length / 3) ? $"; did you mean '{nearest.Name}'?" : "; see --help";
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
