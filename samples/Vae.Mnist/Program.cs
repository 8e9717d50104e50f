using Spectre.Console.Cli;
using Vae.Samples;
using Vae.Mnist;

const string Evaluate = "evaluate";
const string Generate = "generate";
const string Convert = "convert";
var app = new CommandApp<TrainCommand>();
app.Configure(config =>
{
    config.SetApplicationName("Vae.Mnist");
    config.AddCommand<EvaluateCommand>(Evaluate)
        .WithDescription("Score a saved model on the test digits: negative ELBO and importance-weighted log-likelihood.")
        .WithExample(Evaluate, "--model", "vae-output/model.vae", "--k", "5000")
        .WithExample(Evaluate, "--model", "model.pt", "--json");
    config.AddCommand<GenerateCommand>(Generate)
        .WithDescription("Draw digits from a saved model (of a chosen digit for a model trained with --conditional) into an IDX file and a picture.")
        .WithExample(Generate, "--model", "runs/cvae/model.vae", "--digit", "7", "--count", "100", "--idx", "sevens-idx3-ubyte", "--png", "sevens.png");
    config.AddCommand<ConvertCommand>(Convert)
        .WithDescription("Convert a model between .vae, PyTorch (.pt, .pth, .safetensors) and ONNX (.onnx); the extensions pick the formats.")
        .WithExample(Convert, "--from", "model.pt", "--to", "model.vae")
        .WithExample(Convert, "--from", "vae-output/model.vae", "--to", "model.safetensors", "--layout", "tutorial")
        .WithExample(Convert, "--from", "vae-output/model.vae", "--to", "decoder.onnx");
    config.AddExample("--epochs", "20", "--latent", "2");
    config.AddExample("--data", "~/mnist", "--epochs", "30");
    config.AddExample("--resume", "--epochs", "20");
    ConsoleApp.ConfigureCommon(config);
});

return await ConsoleApp.RunAsync(app, args, typeof(TrainSettings), new Dictionary<string, Type> { [Evaluate] = typeof(EvaluateSettings), [Generate] = typeof(GenerateSettings), [Convert] = typeof(ConvertSettings) });
