using BenchmarkDotNet.Running;
using Vae.Benchmarks;

// epochs (default): whole training epochs on the shipped digits, as a user runs them (--autograd: without the fused CPU step; --gaussian: a Gaussian likelihood).
// eval: evaluation throughput (ELBO and importance-weighted log-likelihood).
// threads: training throughput for each CPU thread count.
// load: the default thread count against one thread, an epoch each in turns, idle and beside 1 and 2 busy processes (--pairs, --max-load).
// --load N (epochs, threads, profile): N busy processes spin beside the measurement, as other tenants of the machine would
// (--own-sessions, also for load: each in a session of its own, which Linux's autogroup gives a CPU share apart from the benchmark's).
// profile: the plain TorchSharp step, the trainer's autograd step and its fused CPU step, timed phase by phase.
// tabular: training from a generated CSV, streamed or in memory (--rows N, --columns N, --memory, --file PATH).
// recommend: Mult-VAE training and recommendation users/s at 3,000, 20,000 and 50,000 synthetic items (--items N, --users N, --epochs N, --write DIR, --data DIR; --profile: one step phase by phase).
// timeseries: online anomaly scoring, points/s on one thread and memory per 100,000 points over a stream (--points N, --columns N, --block N).
// step: BenchmarkDotNet on a single training step (allocations included).
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("usage: Vae.Benchmarks [mode] [options]\n\nepochs (default): whole training epochs on the shipped digits, as a user runs them (--autograd: without the fused CPU step; --gaussian: a Gaussian likelihood).\neval: evaluation throughput (ELBO and importance-weighted log-likelihood).\nthreads: training throughput for each CPU thread count.\nload: the default thread count against one thread, an epoch each in turns, idle and beside 1 and 2 busy processes (--pairs, --max-load).\n--load N (epochs, threads, profile): N busy processes spin beside the measurement, as other tenants of the machine would\n(--own-sessions, also for load: each in a session of its own, which Linux's autogroup gives a CPU share apart from the benchmark's).\nprofile: the plain TorchSharp step, the trainer's autograd step and its fused CPU step, timed phase by phase.\ntabular: training from a generated CSV, streamed or in memory (--rows N, --columns N, --memory, --file PATH).\nrecommend: Mult-VAE training and recommendation users/s at 3,000, 20,000 and 50,000 synthetic items (--items N, --users N, --epochs N, --write DIR, --data DIR; --profile: one step phase by phase).\ntimeseries: online anomaly scoring, points/s on one thread and memory per 100,000 points over a stream (--points N, --columns N, --block N).\nstep: BenchmarkDotNet on a single training step (allocations included).");
    return 0;
}
var mode = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "epochs";
int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}

BusyNeighbours Neighbours() => new(Option("--load", 0), args.Contains("--own-sessions"));

// --avx2: the fused kernels' AVX2 matrix products even where AVX-512 is present, to measure what AVX2-only processors get.
if (args.Contains("--avx2")) Vae.Core.Kernels.Sgemm.PreferAvx512 = false;

switch (mode)
{
    case BusyNeighbours.Mode:
        BusyNeighbours.Spin(args);
        break;
    case "epochs":
        using (var neighbours = Neighbours())
            EpochBenchmark.Run(Option("--epochs", 10), Option("--threads", 0), fused: !args.Contains("--autograd"), gaussian: args.Contains("--gaussian"), neighbours);
        break;
    case "threads":
        using (var neighbours = Neighbours())
            EpochBenchmark.SweepThreads(Option("--epochs", 4), neighbours);
        break;
    case "load":
        EpochBenchmark.UnderLoad(Option("--pairs", 5), Option("--max-load", 2), args.Contains("--own-sessions"));
        break;
    case "eval":
        EvaluationBenchmark.Run(Option("--k", 5000), Option("--threads", 0));
        break;
    case "profile":
        using (Neighbours())
            StepProfile.Run(Option("--epochs", 3), Option("--threads", 0));
        break;
    case "tabular": TabularStreamBenchmark.Run(args); break;
    case "recommend": RecommendationBenchmark.Run(args); break;
    case "timeseries": TimeSeriesBenchmark.Run(args); break;
    case "step":
        BenchmarkRunner.Run<TrainingStepBenchmark>(args: args.Where(a => a != "step").ToArray());
        break;
    default:
        Console.Error.WriteLine($"unknown mode '{mode}': use epochs, threads, load, eval, profile, tabular, recommend, timeseries or step");
        return 1;
}
return 0;
