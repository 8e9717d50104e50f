using Spectre.Console;
using Spectre.Console.Cli;
using Vae.AnomalyDetection;

var app = new CommandApp<AnomalyCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.AnomalyDetection");
    config.AddExample("--holdout", "0");
    config.AddExample("--score", "iwae", "--k", "100", "--holdout", "7");
    config.AddExample("--epochs", "20", "--threads", "1", "--json");
    config.PropagateExceptions();
});

args = CommandLine.Normalize(args);
var verbose = args.Contains("--verbose");
try
{
    return await app.RunAsync(args);
}
catch (Exception e) when (!verbose)
{
    // People make mistakes with paths and numbers: one line says what; --verbose shows where.
    var inner = e is CommandRuntimeException or CommandParseException ? e : e.GetBaseException();
    AnsiConsole.Console.Profile.Out.Writer.Flush();
    Console.Error.WriteLine($"error: {inner.Message}");
    return e is OperationCanceledException ? 130 : 1;
}
