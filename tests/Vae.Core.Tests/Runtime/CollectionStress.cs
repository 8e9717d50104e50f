using System.Diagnostics;
using Vae.Core.Data;
using Vae.Core.Recommendation;
using static TorchSharp.torch;

namespace Vae.Core.Tests.Runtime;

/// <summary>
/// One path of the library run over and over while another thread allocates without pause, in a process whose
/// smallest collection budget is tiny (<c>DOTNET_GCgen0size</c>): collections then start at any moment of the working
/// thread's libtorch calls, and a TorchSharp object that only a finalizer frees is freed in the middle of the call that
/// uses it. Before the library kept its scalars and temporaries alive, Mult-VAE training died this way within seconds
/// (<c>SIGSEGV</c> in <c>THSTensor_zeros_out</c> under its gradient reset), and so did an IWAE estimate (a freed
/// <c>Scalar</c> in <c>square()</c>).
/// </summary>
internal static class CollectionStress
{
    public const string Command = "collection-stress";

    /// <summary>The paths <see cref="Run"/> knows.</summary>
    public static readonly string[] Paths = ["multvae", "ease", "mlp-autograd", "mlp-fused", "conv", "conv-fused", "iwae-anomaly"];

    /// <summary>Runs <paramref name="path"/> for about <paramref name="seconds"/>; returns the process exit code.</summary>
    public static int Run(string path, double seconds)
    {
        var allocator = new Thread(() =>
        {
            var keep = new object[64];
            for (var i = 0; ; i++) keep[i & 63] = new byte[256];
        }) { IsBackground = true };
        allocator.Start();
        // Two threads, as the contended runs that crashed had: the kernels' helpers and libtorch's pool both at work.
        VaeRuntime.SetCpuThreads(2);
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            Round(path, rounds++);
        }
        Console.WriteLine($"{path}: {rounds} rounds in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static void Round(string path, int round)
    {
        switch (path)
        {
            case "multvae":
            {
                var data = SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 600, ItemCount = 2000, Seed = round }).Split(new ReferenceSplitOptions { HeldOutUsers = 100 });
                using var model = new MultVae(data.ItemIds, seed: round);
                new MultVaeTrainer(new MultVaeTrainerOptions { Epochs = 3, BatchSize = 100, Seed = round }).Train(model, data);
                model.Recommend(data.Test.FoldIn, 10);
                break;
            }
            case "ease":
            {
                var data = SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 400, ItemCount = 500, Seed = round }).Split(new ReferenceSplitOptions { HeldOutUsers = 100 });
                RecommendationEvaluator.Evaluate(EaseRecommender.Fit(data.Train), data.Test, new RankingOptions());
                break;
            }
            default:
            {
                using var train = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);
                using var images = train.Images.narrow(0, 0, 512);
                using var validation = train.Images.narrow(0, 512, 128);
                var conv = path.StartsWith("conv", StringComparison.Ordinal);
                var options = new VaeOptions { HiddenSizes = [64], LatentSize = 8, Architecture = conv ? VaeArchitecture.Convolutional : VaeArchitecture.Mlp };
                using var model = new VariationalAutoencoder(options);
                using var trainer = new VaeTrainer(model, new VaeTrainerOptions
                {
                    Epochs = 1, BatchSize = 64, Seed = round, UseFusedCpuKernels = path is "mlp-fused" or "conv-fused", UseFusedConvolutionalStep = path == "conv-fused",
                    Objective = path == "iwae-anomaly" ? VaeObjective.Iwae : VaeObjective.Elbo,
                });
                trainer.Fit(images, validation);
                if (path == "iwae-anomaly")
                {
                    LikelihoodEstimator.Estimate(model, validation, 20);
                    AnomalyDetector.Fit(model, validation, percentile: 99).Score(validation);
                }
                model.Encode(validation).Dispose();
                model.Sample(16).Dispose();
                break;
            }
        }
    }

    /// <summary>Runs <paramref name="path"/> in a new process under the stress; returns its exit code and output.</summary>
    public static (int ExitCode, string Output) RunInSeparateProcess(string path, double seconds)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromCli ? fromCli : Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(CollectionStress).Assembly.Location);
        start.ArgumentList.Add(Command);
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // A gen0 budget of 256 KB: a collection every few hundred microseconds of allocation.
        start.Environment["DOTNET_GCgen0size"] = "0x40000";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(seconds + 120)))
        {
            process.Kill();
            throw new TimeoutException($"The {path} stress did not finish within {seconds + 120} s.");
        }
        return (process.ExitCode, output + error.Result);
    }
}
