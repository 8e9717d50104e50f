using Spectre.Console.Cli;
using Vae.Samples;
using Vae.AnomalyDetection;

var app = new CommandApp<AnomalyCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.AnomalyDetection");
    config.AddExample("--holdout", "0");
    config.AddExample("--score", "iwae", "--k", "100", "--holdout", "7");
    config.AddExample("--epochs", "20", "--threads", "1", "--json");
    ConsoleApp.ConfigureCommon(config);
});

return await ConsoleApp.RunAsync(app, args, typeof(AnomalySettings));
