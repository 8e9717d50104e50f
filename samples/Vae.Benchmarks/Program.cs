using BenchmarkDotNet.Running;
using Vae.Benchmarks;

// epochs (default): whole training epochs on the shipped digits, as a user runs them (--autograd: without the fused CPU step; --gaussian: a Gaussian likelihood).
// eval: evaluation throughput (ELBO and importance-weighted log-likelihood).
// iwae: the importance-weighted estimate of a convolutional model (or --model PATH) on the test digits, time and images per CPU-second (--k N, --rows N, --threads N, --rounds N, --tiles A,B, --phases; --plain: the modules' path too, alternating).
// threads: training throughput for each CPU thread count.
// load: the default thread count against one thread, an epoch each in turns, idle and beside 1 and 2 busy processes (--pairs, --max-load).
// --load N (epochs, threads, profile): N busy processes spin beside the measurement, as other tenants of the machine would
// (--own-sessions, also for load: each in a session of its own, which Linux's autogroup gives a CPU share apart from the benchmark's).
// conv: the convolutional model, fused CPU step against autograd, default threads and one, an epoch each in turns, idle and beside 1 .. --max-load busy processes (--rounds N; --profile: the fused step phase by phase, --threads N, --steps N).
// profile: the plain TorchSharp step, the trainer's autograd step and its fused CPU step, timed phase by phase.
// tabular: training from a generated CSV, streamed or in memory (--rows N, --columns N, --memory, --file PATH).
// recommend: Mult-VAE training and recommendation users/s at 3,000, 20,000 and 50,000 synthetic items (--items N, --users N, --epochs N, --write DIR, --data DIR; --profile: one step phase by phase).
// timeseries: online anomaly scoring, points/s on one thread and memory per 100,000 points over a stream (--points N, --columns N, --block N).
// gemm: the fused kernels' Sgemm against libtorch's mm at the convolutional model's dense shapes, one thread each, alternating.
// step: BenchmarkDotNet on a single training step (allocations included).
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        Vae.Benchmarks [MODE] [OPTIONS]: speed figures of the library, printed (the machine is noisy: compare within one run).
          epochs (default)  whole training epochs of the MLP on the shipped digits (--epochs N, --threads N, --autograd, --gaussian, --load N; --conv: the convolutional model;
                            --fixed-threads: the fused step held to its threads, AdaptCpuThreads off)
          threads           training throughput for each CPU thread count (--epochs N, --load N)
          load              the default thread count against one thread, idle and beside busy processes (--pairs N, --max-load N)
          conv              the convolutional model, fused step against autograd, 2 threads and 1, idle and beside busy
                            processes (--rounds N, --max-load N; --profile: the fused step phase by phase, --threads N, --steps N,
                            --group N: output channels per product of the transposed convolutions; the earlier paths, to
                            compare: --unblocked (whole im2col backward), --weight-transposed (dense input gradients from W^T),
                            --strided-dense (W read down its columns))
          gemm              the fused kernels' matrix products against libtorch's mm at the convolutional model's dense
                            shapes, one thread each, alternating (--rounds N, --repeats N)
          eval              evaluation throughput, ELBO and IWAE (--k N, --threads N)
          iwae              IWAE estimate of a convolutional model (or --model PATH) on the test digits, wall and CPU time
                            (--k N, default 1000; --rows N; --threads N; --rounds N; --plain: the modules' path too, alternating)
          anomaly           anomaly scores at the posterior mean of the test digits, fused decoder against the modules'
                            (--mlp: the MLP instead of the convolutional model; --threads N; --rounds N; --batch N rows per call;
                            --task sample|reconstruct: Sample or Reconstruct instead of the scores)
          profile           the plain TorchSharp step, the autograd step and the fused step, phase by phase (--epochs N, --threads N)
          tabular           training from a generated CSV (--rows N, --columns N, --memory, --file PATH)
          recommend         Mult-VAE training and recommendation (--items N, --users N, --epochs N, --write DIR, --data DIR, --profile)
          recommend-oracle  on the synthetic default (or --long-tail --seed N), a scorer told the true topics, beside EASE
          timeseries        online anomaly scoring of a stream, points/s on one thread and memory (--points N, --columns N, --block N)
          step              BenchmarkDotNet on a single training step
        --avx2: the fused kernels' AVX2 products even where AVX-512 is present; --own-sessions: busy processes in sessions of their own.
        """);
    return 0;
}
var mode = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "epochs";
int Option(string name, int fallback) => BenchmarkOptions.Int(args, name, fallback);

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
            EpochBenchmark.Run(Option("--epochs", 10), Option("--threads", 0), fused: !args.Contains("--autograd"), gaussian: args.Contains("--gaussian"), neighbours, convolutional: args.Contains("--conv"), adaptThreads: !args.Contains("--fixed-threads"));
        break;
    case "threads":
        using (var neighbours = Neighbours())
            EpochBenchmark.SweepThreads(Option("--epochs", 4), neighbours);
        break;
    case "load":
        EpochBenchmark.UnderLoad(Option("--pairs", 5), Option("--max-load", 2), args.Contains("--own-sessions"));
        break;
    case "conv" when args.Contains("--profile"):
        if (args.Contains("--strided-dense")) Vae.Core.Kernels.FusedConvStep.TransposeDenseWeights = false;
        Vae.Core.Kernels.FusedConvStep.TrainingChannelGroup = Option("--group", Vae.Core.Kernels.FusedConvStep.TrainingChannelGroup);
        if (args.Contains("--unblocked")) Vae.Core.Kernels.FusedConvStep.BlockedBackward = false;
        if (args.Contains("--weight-transposed")) Vae.Core.Kernels.FusedConvStep.DenseInputGradientByRows = false;
        ConvBenchmark.Profile(Option("--steps", 100), Math.Max(1, Option("--threads", 1)));
        break;
    case "conv":
        ConvBenchmark.Run(Option("--rounds", 5), Option("--max-load", 2), args.Contains("--own-sessions"));
        break;
    case "gemm":
        GemmBenchmark.Run(Option("--rounds", 5), Option("--repeats", 20));
        break;
    case "eval":
        EvaluationBenchmark.Run(Option("--k", 5000), Option("--threads", 0));
        break;
    case "iwae":
        IwaeBenchmark.Run(args);
        break;
    case "anomaly":
        AnomalyScoreBenchmark.Run(args);
        break;
    case "profile":
        using (Neighbours())
            StepProfile.Run(Option("--epochs", 3), Option("--threads", 0));
        break;
    case "tabular": TabularStreamBenchmark.Run(args); break;
    case "recommend": RecommendationBenchmark.Run(args); break;
    case "recommend-oracle": RecommendationOracle.Run(args); break;
    case "timeseries": TimeSeriesBenchmark.Run(args); break;
    case "step":
        BenchmarkRunner.Run<TrainingStepBenchmark>(args: args.Where(a => a != "step").ToArray());
        break;
    default:
        Console.Error.WriteLine($"unknown mode '{mode}': use epochs, threads, load, conv, gemm, eval, iwae, profile, tabular, recommend, recommend-oracle, timeseries or step");
        return 1;
}
return 0;
