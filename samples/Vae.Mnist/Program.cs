using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Mnist;

var app = new CommandApp<TrainCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.Mnist");
    config.AddExample("--epochs", "20", "--latent", "2");
    config.AddExample("--data", "~/mnist", "--epochs", "30");
    config.AddExample("--resume", "--epochs", "20");
    config.PropagateExceptions();
});

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
