using System.Diagnostics;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>Evaluation throughput of a briefly trained default model on the shipped test digits.</summary>
internal static class EvaluationBenchmark
{
    public static void Run(int k, int threads)
    {
        using var train = ShippedDigits.Load(MnistSplit.Train);
        using var test = ShippedDigits.Load(MnistSplit.Test);
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder();
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, Seed = 1 })) trainer.Fit(train.Images);

        model.Evaluate(test.Images); // warm-up
        var clock = Stopwatch.StartNew();
        const int repeats = 5;
        for (var i = 0; i < repeats; i++) model.Evaluate(test.Images);
        Console.WriteLine($"ELBO evaluation: {repeats * test.Count / clock.Elapsed.TotalSeconds:N0} images/s");

        // k = 5000 over all 2,000 digits takes a while; 200 digits give the rate.
        using var subset = test.Images.narrow(0, 0, 200);
        using var generator = new torch.Generator(1);
        clock.Restart();
        var estimate = LikelihoodEstimator.Estimate(model, subset, k, generator);
        Console.WriteLine($"IWAE k = {k}: {subset.shape[0] / clock.Elapsed.TotalSeconds:N1} images/s " +
                          $"({subset.shape[0] * (double)k / clock.Elapsed.TotalSeconds:N0} decoded samples/s), NLL {estimate.MeanNegativeLogLikelihood:F2} nats");
    }
}
