// The whole idea on one screen: the model of pytorch/examples vae/main.py (784-400-20, ReLU, a sigmoid output, BCE + KL),
// written with the library's building blocks. Run: dotnet run --project samples/Vae.Minimal -c Release [-- EPOCHS]
using TorchSharp;
using TorchSharp.Modules;
using Vae.Core;
using Vae.Core.Data;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

if (args.Length > 1 || args is ["-h" or "--help"] || (args.Length == 1 && !(int.TryParse(args[0], out var given) && given > 0)))
{
    var help = args is ["-h" or "--help"];
    (help ? Console.Out : Console.Error).WriteLine(
        (help ? "" : $"error: expected one positive number of epochs, got '{string.Join(' ', args)}'\n") +
        "usage: dotnet run --project samples/Vae.Minimal -c Release [-- EPOCHS]   (default 10; writes minimal.vae here)");
    return help ? 0 : 2;
}
var epochs = args.Length == 1 ? int.Parse(args[0]) : 10;
var data = Path.Combine(AppContext.BaseDirectory, "data", "mnist-10k");
using var train = MnistDataset.Load(data, MnistSplit.Train); // [8000, 784] in [0, 1]
using var test = MnistDataset.Load(data, MnistSplit.Test);   // [2000, 784]

manual_seed(1);
// Our own encoder and decoder; the library supplies the rest: sampling, the loss, the trainer, saving.
var options = new VaeOptions { Architecture = VaeArchitecture.Custom, InputSize = 784, LatentSize = 20 };
var encoder = new TutorialEncoder();
var decoder = new TutorialDecoder();
using var model = new VariationalAutoencoder(encoder, decoder, options);

// One step by hand, to show the pieces: q(z|x), the reparameterisation trick, p(x|z), the negative ELBO.
using (no_grad())
{
    using var batch = train.Images[..128];
    var (mean, logVariance) = encoder.call(batch);
    using var z = Reparameterization.Sample(mean, logVariance);
    using var logits = decoder.call(z);
    using var bce = ElboLoss.BinaryCrossEntropyWithLogits(logits, batch);  // nats per image, summed over pixels
    using var kl = ElboLoss.KlDivergence(mean, logVariance);             // KL(q(z|x) || N(0, I)) per image
    Console.WriteLine($"untrained: BCE {bce.item<float>():F1} + KL {kl.item<float>():F1} nats per image");
    mean.Dispose(); logVariance.Dispose();
}

// The trainer runs the epoch loop with Adam (lr 1e-3), batches of 128 reshuffled each epoch, as main.py does.
using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = epochs, BatchSize = 128, LearningRate = 1e-3 });
var result = trainer.Fit(train.Images, test.Images);
foreach (var epoch in result.History)
    Console.WriteLine($"epoch {epoch.Epoch,2}: train {epoch.Train.Loss:F2}  test {epoch.Validation!.Loss:F2} nats per image");

using var samples = model.Sample(64);  // [64, 784] pixel probabilities from z ~ N(0, I)
Console.WriteLine($"64 samples, mean pixel {samples.mean().item<float>():F3}");
model.Save("minimal.vae");
Console.WriteLine($"saved minimal.vae ({new FileInfo("minimal.vae").Length:N0} bytes)");
return 0;

/// <summary>fc1 then two heads, fc21 (mean) and fc22 (log-variance), as in main.py.</summary>
sealed class TutorialEncoder : Module<Tensor, (Tensor Mean, Tensor LogVariance)>
{
    private readonly Linear fc1 = Linear(784, 400), fc21 = Linear(400, 20), fc22 = Linear(400, 20);

    public TutorialEncoder() : base(nameof(TutorialEncoder)) => RegisterComponents();

    public override (Tensor Mean, Tensor LogVariance) forward(Tensor x)
    {
        using var h = functional.relu(fc1.call(x));
        return (fc21.call(h), fc22.call(h));
    }
}

/// <summary>fc3 then fc4; it returns logits, and the Bernoulli likelihood applies the sigmoid inside a stable BCE.</summary>
sealed class TutorialDecoder : Module<Tensor, Tensor>
{
    private readonly Linear fc3 = Linear(20, 400), fc4 = Linear(400, 784);

    public TutorialDecoder() : base(nameof(TutorialDecoder)) => RegisterComponents();

    public override Tensor forward(Tensor z)
    {
        using var h = functional.relu(fc3.call(z));
        return fc4.call(h);
    }
}
