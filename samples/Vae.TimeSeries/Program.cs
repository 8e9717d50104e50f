using Spectre.Console.Cli;
using Vae.Samples;
using Vae.TimeSeries;

const string Nab = "nab";
const string Multivariate = "multivariate";
var app = new CommandApp<DetectCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.TimeSeries");
    config.AddCommand<NabCommand>(Nab)
        .WithDescription("Run the detector over every DIR/<category>/<name>.csv (NAB's layout), write OUT/<category>/<name>.csv with timestamp,value,anomaly_score, and score the run with NAB's scorer.")
        .WithExample(Nab, "--data", "data/nab", "--output", "nab-results");
    config.AddCommand<MultivariateCommand>(Multivariate)
        .WithDescription("Generate four correlated metrics with anomalies that break their relation, and compare one detector on all of them with one detector per metric (window 8, latent 3, beta 0.1 unless given).")
        .WithExample(Multivariate, "--output", "mv");
    config.AddExample("--csv", "metrics.csv", "--time", "timestamp", "--values", "cpu,latency", "--output", "out");
    config.AddExample("--json");
    ConsoleApp.ConfigureCommon(config);
});

return await ConsoleApp.RunAsync(app, args, typeof(DetectSettings), new Dictionary<string, Type> { [Nab] = typeof(NabSettings), [Multivariate] = typeof(MultivariateSettings) });
