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
            if (args.Contains("--profile"))
                Profile(data, Number("--steps", 5));
            else
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

    /// <summary>The phases of one optimizer step on 500 training users, timed one by one over a few steps.</summary>
    private static void Profile(ImplicitFeedbackData data, int steps)
    {
        using var model = new MultVae(data.ItemIds);
        // The step as VaeTrainer runs it: gradients written into Adam's flat buffer, Adam's update after.
        using var adam = new FlatAdam(model.Parameters, 1e-3) { Threads = Math.Max(1, torch.get_num_threads()) };
        adam.AttachGradients(model.Parameters);
        using var generator = new torch.Generator(1);
        using var step = new MultVaeStep(model, new TrainingSetup(new VaeTrainerOptions(), generator, adam), 0, 2000) { Threads = Math.Max(1, torch.get_num_threads()) };
        var random = new Random(1);
        var phases = new Dictionary<string, double>();
        void Time(string phase, Action action)
        {
            var clock = Stopwatch.StartNew();
            action();
            phases[phase] = phases.GetValueOrDefault(phase) + clock.Elapsed.TotalMilliseconds;
        }
        var users = Math.Min(500, data.Train.UserCount);
        var threads = torch.get_num_threads();
        var units = model.OutputUnits;
        using var hidden = torch.rand(users, units);
        using var hiddenGradient = torch.empty(users, units);
        using var scratch = torch.empty((long)data.ItemCount * MultVaeLayers.PaddedUsers(users));
        using var gradient = torch.empty(data.ItemCount, units);
        for (var s = 0; s <= steps; s++)
        {
            if (s == 1) phases.Clear(); // the first step warms up
            var batch = data.Train.SelectRows(Enumerable.Range(0, users).Select(_ => random.Next(data.Train.UserCount)).ToArray());
            var keep = Enumerable.Range(0, batch.ClickCount).Select(_ => random.NextDouble() >= 0.5).ToArray();
            var weights = MultVaeLayers.InputWeights(batch, 0.5, keep);
            using var noise = torch.randn(users, model.Options.LatentSize);
            Time("whole step: gradients", () => step.ComputeGradients(batch, weights, noise, 0.1, 0));
            Time("whole step: Adam update", adam.Step);
            Time("  input layer, forward", () => model.InputLayer(batch, weights).Dispose());
            using (var hiddenT = hidden.t().contiguous())
                Time("  (libtorch mm of the logits product's shape)", () => torch.mm(model.OutputWeight, hiddenT).Dispose());
            var laps = new double[4];
            Time("  output layer, forward and backward", () => MultVaeLayers.OutputForwardBackward(batch, hidden, model.OutputWeight, model.OutputBias,
                scratch, gradient, model.OutputBias.grad!, hiddenGradient, threads, laps));
            foreach (var (phase, lap) in new[] { "logits product", "softmax passes", "weight gradient product", "hidden gradient product" }.Zip(laps))
                phases[$"    {phase}"] = phases.GetValueOrDefault($"    {phase}") + lap;
        }
        Console.WriteLine($"{data.ItemCount} items, {users} users per step, {threads} threads: milliseconds per step");
        foreach (var (phase, total) in phases)
            Console.WriteLine($"{phase,-40} {total / steps,8:F1}");
    }

    private sealed class EpochReport(Action<MultVaeEpoch> report) : IProgress<MultVaeEpoch>
    {
        public void Report(MultVaeEpoch value) => report(value);
    }
}
