using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Mnist;

var app = new CommandApp<TrainCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.Mnist");
    config.AddCommand<EvaluateCommand>("evaluate")
        .WithDescription("Score a saved model on the test digits: negative ELBO and importance-weighted log-likelihood.")
        .WithExample("evaluate", "--model", "vae-output/model.vae", "--k", "5000");
    config.AddExample("--epochs", "20", "--latent", "2");
    config.AddExample("--data", "~/mnist", "--epochs", "30");
    config.AddExample("--resume", "--epochs", "20");
    config.PropagateExceptions();
});

// Spectre's long options need two letters or more; --k is the customary spelling of the sample count.
args = args.Select(a => a == "--k" ? "--samples" : a.StartsWith("--k=", StringComparison.Ordinal) ? "--samples=" + a[4..] : a).ToArray();
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
