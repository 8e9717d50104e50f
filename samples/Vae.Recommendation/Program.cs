using Spectre.Console.Cli;
using Vae.Recommendation;
using Vae.Samples;

const string Convert = "convert";
const string Recommend = "recommend";
var app = new CommandApp<TrainCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.Recommendation");
    config.AddCommand<ConvertCommand>(Convert)
        .WithDescription("Turn a MovieLens ratings.csv into the reference layout: ratings above 3.5 are clicks, held-out users for validation and test.")
        .WithExample(Convert, "--movielens", "ml-20m/ratings.csv", "--output", "ml-20m-split");
    config.AddCommand<RecommendCommand>(Recommend)
        .WithDescription("Recommend with a saved model: each user's best unseen items from their clicks (a user,item CSV).")
        .WithExample(Recommend, "--model", "rec/model.recvae", "--history", "clicks.csv", "--top", "10", "--output", "top10.csv");
    config.AddExample("--epochs", "30");
    config.AddExample("--data", "ml-20m-split", "--epochs", "100", "--seed", "1", "--predictions", "top100.csv", "--json");
    ConsoleApp.ConfigureCommon(config);
});

return await ConsoleApp.RunAsync(app, args, typeof(TrainSettings), new Dictionary<string, Type> { [Convert] = typeof(ConvertSettings), [Recommend] = typeof(RecommendSettings) });
