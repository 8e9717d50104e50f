using Spectre.Console.Cli;
using Vae.Samples;
using Vae.AnomalyDetection;

const string Tabular = "tabular";
const string Score = "score";
var app = new CommandApp<AnomalyCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.AnomalyDetection");
    config.AddCommand<TabularCommand>(Tabular)
        .WithDescription("Train on the normal rows of a table (CSV) and measure how well the score finds the others. Default: the shipped breast-cancer table.")
        .WithExample(Tabular)
        .WithExample(Tabular, "--train", "a.csv", "--test", "b.csv", "--label", "label", "--json")
        .WithExample(Tabular, "--csv", "data.csv", "--label", "class", "--normal", "1", "--json");
    config.AddCommand<ScoreCommand>(Score)
        .WithDescription("Score the rows of a CSV file with a model saved by the tabular command; writes a CSV of scores and flags.")
        .WithExample(Score, "--model", "tabular-output/model.vae", "--csv", "new.csv");
    config.AddExample("--holdout", "0");
    config.AddExample("--score", "iwae", "--k", "100", "--holdout", "7");
    config.AddExample("--epochs", "20", "--threads", "1", "--json");
    ConsoleApp.ConfigureCommon(config);
});

return await ConsoleApp.RunAsync(app, args, typeof(AnomalySettings),
    new Dictionary<string, Type> { [Tabular] = typeof(TabularSettings), [Score] = typeof(ScoreSettings) });
