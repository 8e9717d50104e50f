using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
                          $"({(Sgemm.PreferAvx512 && Avx512F.IsSupported ? "AVX-512" : "AVX2")} kernels)");
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
        Peak(rounds);
    }

    /// <summary>
    /// The machine's multiply-add ceiling: twelve independent chains of fused multiply-adds in registers (no memory), on
    /// one thread and on every core at once, GFLOP/s. The fused steps' figures are read as a share of this.
    /// </summary>
    public static void Peak(int rounds)
    {
        const long iterations = 50_000_000;
        var wide = Avx512F.IsSupported && Sgemm.PreferAvx512;
        var lanes = wide ? 16 : 8;
        Console.WriteLine($"multiply-add ceiling ({(wide ? "AVX-512" : "AVX2")}, 12 chains in registers), GFLOP/s");
        for (var threads = 1; threads <= Environment.ProcessorCount; threads *= 2)
        {
            var rates = new List<double>();
            for (var round = 0; round < rounds + 1; round++)
            {
                var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => { if (wide) Chains512(iterations); else Chains256(iterations); })).ToArray();
                var clock = Stopwatch.StartNew();
                foreach (var worker in workers) worker.Start();
                foreach (var worker in workers) worker.Join();
                if (round > 0) rates.Add(2.0 * lanes * 12 * iterations * threads / clock.Elapsed.TotalSeconds / 1e9);
            }
            Console.WriteLine($"{threads,2} thread(s) {Range(rates),15}");
        }
    }

    private static float Chains512(long iterations)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = y, a1 = y, a2 = y, a3 = y, a4 = y, a5 = y, a6 = y, a7 = y, a8 = y, a9 = y, a10 = y, a11 = y;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y); a1 = Avx512F.FusedMultiplyAdd(a1, x, y);
            a2 = Avx512F.FusedMultiplyAdd(a2, x, y); a3 = Avx512F.FusedMultiplyAdd(a3, x, y);
            a4 = Avx512F.FusedMultiplyAdd(a4, x, y); a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y); a7 = Avx512F.FusedMultiplyAdd(a7, x, y);
            a8 = Avx512F.FusedMultiplyAdd(a8, x, y); a9 = Avx512F.FusedMultiplyAdd(a9, x, y);
            a10 = Avx512F.FusedMultiplyAdd(a10, x, y); a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
    }

    private static float Chains256(long iterations)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-7f);
        Vector256<float> a0 = y, a1 = y, a2 = y, a3 = y, a4 = y, a5 = y, a6 = y, a7 = y, a8 = y, a9 = y, a10 = y, a11 = y;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, x, y); a1 = Fma.MultiplyAdd(a1, x, y);
            a2 = Fma.MultiplyAdd(a2, x, y); a3 = Fma.MultiplyAdd(a3, x, y);
            a4 = Fma.MultiplyAdd(a4, x, y); a5 = Fma.MultiplyAdd(a5, x, y);
            a6 = Fma.MultiplyAdd(a6, x, y); a7 = Fma.MultiplyAdd(a7, x, y);
            a8 = Fma.MultiplyAdd(a8, x, y); a9 = Fma.MultiplyAdd(a9, x, y);
            a10 = Fma.MultiplyAdd(a10, x, y); a11 = Fma.MultiplyAdd(a11, x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
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
