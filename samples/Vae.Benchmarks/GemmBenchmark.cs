using System.Diagnostics;
using TorchSharp;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Benchmarks;

/// <summary>
/// The fused steps' matrix products (<see cref="Sgemm"/>) against libtorch's <c>mm</c> at the shapes of the default
/// convolutional model's dense layers (batch 128, feature-major as the fused step lays them out), on one thread each,
/// alternating, several rounds: where the fused step's time goes against what libtorch's BLAS does with the same work.
/// </summary>
internal static unsafe class GemmBenchmark
{
    private static readonly (string Name, int M, int N, int K)[] Shapes =
    [
        ("encoder 3136->400 forward", 400, 128, 3136),
        ("decoder 400->3136 forward", 3136, 128, 400),
        ("encoder weight gradient", 400, 3136, 128),
        ("decoder weight gradient", 3136, 400, 128),
        ("MLP 784->400 forward", 400, 128, 784),
    ];

    public static void Run(int rounds, int repeats)
    {
        torch.set_num_threads(1);
        Console.WriteLine($"C[m, n] = A[m, k] B[k, n], float32, one thread; {rounds} rounds of {repeats} products each, alternating; GFLOP/s " +
                          $"({(Sgemm.PreferAvx512 && System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "AVX-512" : "AVX2")} kernels)");
        Console.WriteLine($"{"shape",-28} {"m",5} {"n",5} {"k",5} {"Sgemm",15} {"libtorch mm",15}");
        foreach (var (name, m, n, k) in Shapes)
        {
            using var a = randn(m, k);
            using var b = randn(k, n);
            using var c = zeros(m, n);
            var pa = NativeTensor.Floats(a);
            var pb = NativeTensor.Floats(b);
            var pc = NativeTensor.Floats(c);
            var flop = 2.0 * m * n * k * repeats;
            var ours = new List<double>();
            var theirs = new List<double>();
            for (var round = 0; round < rounds + 1; round++)
            {
                var clock = Stopwatch.StartNew();
                for (var r = 0; r < repeats; r++) Sgemm.Multiply(m, n, k, pa, k, 1, pb, n, pc, n, accumulate: false, threads: 1);
                var oursRate = flop / clock.Elapsed.TotalSeconds / 1e9;
                clock.Restart();
                for (var r = 0; r < repeats; r++) a.mm(b).Dispose();
                var theirsRate = flop / clock.Elapsed.TotalSeconds / 1e9;
                // The first round warms both up (JIT, pages, libtorch's first call).
                if (round == 0) continue;
                ours.Add(oursRate);
                theirs.Add(theirsRate);
            }
            Console.WriteLine($"{name,-28} {m,5} {n,5} {k,5} {Range(ours),15} {Range(theirs),15}");
        }
        Transposes(rounds, repeats);
    }

    /// <summary>The feature-major transposes of the dense step (a weight matrix, a batch of activations), GB/s read and written.</summary>
    public static void Transposes(int rounds, int repeats)
    {
        Console.WriteLine($"{"transpose",-28} {"rows",5} {"cols",5} {"GB/s (read + written)",22}");
        foreach (var (rows, columns) in new[] { (400, 3136), (3136, 400), (3136, 128), (128, 3136), (128, 784) })
        {
            using var source = randn(rows, columns);
            using var destination = zeros(columns, rows);
            var from = NativeTensor.Floats(source);
            var to = NativeTensor.Floats(destination);
            var rates = new List<double>();
            for (var round = 0; round < rounds + 1; round++)
            {
                var clock = Stopwatch.StartNew();
                for (var r = 0; r < repeats; r++) FeatureMajor.Transpose(from, rows, columns, columns, to, rows, zeroPadding: false);
                if (round > 0) rates.Add(2.0 * 4 * rows * columns * repeats / clock.Elapsed.TotalSeconds / 1e9);
            }
            Console.WriteLine($"{"",-28} {rows,5} {columns,5} {Range(rates),22}");
        }
    }

    private static string Range(List<double> rates) => $"{rates.Min():F0}-{rates.Max():F0}";
}
