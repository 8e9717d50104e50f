using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Vae.Core;
using Vae.Core.Recommendation;

namespace Vae.Benchmarks;

/// <summary>
/// Mult-VAE training and recommendation throughput on synthetic catalogues of several sizes, the same recipe the
/// PyTorch script in reference/multvae_pytorch.py runs on the same folder.
/// </summary>
internal static class RecommendationBenchmark
{
    public static void Run(string[] args)
    {
        string? Text(string name)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
        }
        int Number(string name, int fallback) => Text(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

        var epochs = Number("--epochs", 2);
        var users = Number("--users", 20_000);
        var threads = Number("--threads", 0);
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);
        var sizes = Text("--items") is { } items ? [int.Parse(items, CultureInfo.InvariantCulture)] : new[] { 3_000, 20_000, 50_000 };
        Console.WriteLine($"{VaeRuntime.CpuThreads} libtorch threads; {epochs} epochs; Mult-VAE I-600-200-600-I, batch 500");
        Console.WriteLine("data                          items   train users/s (per epoch)      recommend users/s   val NDCG@100   test NDCG@100   peak MiB");
        foreach (var itemCount in sizes)
        {
            ImplicitFeedbackData data;
            string name;
            if (Text("--data") is { } folder)
            {
                data = ImplicitFeedbackFolder.Read(folder);
                name = Path.GetFileName(Path.GetFullPath(folder));
            }
            else
            {
                var synthetic = SyntheticClicks.Generate(Options(users, itemCount));
                data = Text("--write") is { } target ? synthetic.WriteFolder(Path.Combine(target, $"synthetic-{itemCount}")) : synthetic.Split();
                name = $"synthetic, {users:N0} users";
            }
            Measure(name, data, epochs, Number("--seed", 1));
            if (Text("--data") is not null) break;
        }
    }

    /// <summary>The generator's defaults scaled to <paramref name="items"/>: one topic per 40 items, so that topics stay as large as at 1,000 items.</summary>
    public static SyntheticClickOptions Options(int users, int items) =>
        new() { UserCount = users, ItemCount = items, TopicCount = Math.Max(25, items / 40), Seed = 42 };

    private static void Measure(string name, ImplicitFeedbackData data, int epochs, int seed)
    {
        using var model = new MultVae(data.ItemIds, seed: seed);
        var rates = new List<double>();
        var result = new MultVaeTrainer(new MultVaeTrainerOptions { Epochs = epochs, Seed = seed })
            .Train(model, data, new EpochReport(e => rates.Add(e.UsersPerSecond)));

        var clock = Stopwatch.StartNew();
        var lists = model.Recommend(data.Test.FoldIn, 100);
        var recommendRate = lists.Count / clock.Elapsed.TotalSeconds;
        var test = RecommendationEvaluator.Evaluate(model, data.Test).MeanNdcg(100);
        var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-28} {data.ItemCount,6}   {string.Join(" ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture))),-30} {recommendRate,17:N0}   {result.BestValidationNdcg,12:F4}   {test,13:F4}   {peak,8:N0}"));
    }

    private sealed class EpochReport(Action<MultVaeEpoch> report) : IProgress<MultVaeEpoch>
    {
        public void Report(MultVaeEpoch value) => report(value);
    }
}
