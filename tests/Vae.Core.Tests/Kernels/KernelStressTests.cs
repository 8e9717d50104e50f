using System.Diagnostics;
using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Kernels;
using Vae.Core.Recommendation;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// Every threaded native kernel over many shapes (one row, one item, odd sizes, batches larger than the data) while
/// busy neighbour threads hold the cores and the helper threads are made to wake late: on 2, 3 and 4 threads each must
/// give what it gives on one, bit for bit where the kernel promises results independent of the thread count (the
/// Mult-VAE layers: the same bits on every run with the same thread count, and one thread's to rounding), that must
/// match libtorch, and the buffers, taken from guarded arenas, must keep their canaries.
/// </summary>
/// <remarks>
/// A race between the caller and a late helper (a part run twice or by a helper of an earlier call, a part still
/// running when the call returns, a helper writing into a buffer that has been released) shows here as a result
/// that differs between two runs, or as a damaged canary. Each test works through its shapes once and then repeats
/// random ones until its time is up. For the native heap's own checks, run the tests with MALLOC_CHECK_=3 and
/// MALLOC_PERTURB_ set.
/// </remarks>
[Collection(KernelThreadsCollection.Name)]
public sealed unsafe class KernelStressTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);
    private static readonly int[] ThreadCounts = [2, 3, 4];

    [Fact]
    public void KernelThreadsRunsEveryPartOnceAndReturnsOnlyWhenAllHaveEnded()
    {
        using var load = new Contention();
        var random = new Random(1);
        var earlier = new Queue<(int[] Runs, int Sum)>();
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < 200 || clock.Elapsed < Budget; round++)
        {
            var parts = random.Next(1, 41);
            var threads = random.Next(2, 9);
            var runs = new int[parts];
            var ended = new int[parts];
            var workers = new int[threads];
            KernelThreads.Run(parts, threads, (part, worker) =>
            {
                Interlocked.Increment(ref runs[part]);
                // Scratch indexed by the worker is never shared: two parts never hold one worker index at once.
                Interlocked.Increment(ref workers[worker]).Should().Be(1, $"worker {worker} ran two parts at once");
                // Long enough that a part a helper runs is still running when the caller has done all the others.
                Thread.SpinWait(Random.Shared.Next(1, part % 3 == 0 ? 20_000 : 500));
                Interlocked.Decrement(ref workers[worker]);
                Volatile.Write(ref ended[part], 1);
            });
            runs.Should().AllBeEquivalentTo(1, $"round {round}: every one of {parts} parts runs once on {threads} threads");
            ended.Should().AllBeEquivalentTo(1, $"round {round}: the call returns after every part has ended");
            // A helper that wakes late must never run a part of a call that has ended.
            foreach (var (oldRuns, sum) in earlier) oldRuns.Sum().Should().Be(sum, $"round {round}: a part of an earlier call ran after it ended");
            earlier.Enqueue((runs, parts));
            if (earlier.Count > 8) earlier.Dequeue();
        }
    }

    [SkippableFact]
    public void SgemmOnSeveralThreadsGivesWhatOneThreadAndLibtorchGive()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        (int M, int N, int K, bool TransposedA, bool Accumulate)[] shapes =
        [
            (1, 1, 1, false, false), (1, 600, 1, false, true), (600, 1, 7, true, false), (13, 77, 50, true, true),
            (12, 24, 9, false, false), (97, 600, 64, false, false), (200, 65, 333, true, false), (251, 130, 70, false, true),
            (500, 600, 200, true, true), (7, 640, 500, true, false), (320, 600, 3, false, false),
        ];
        using var load = new Contention();
        var random = new Random(2);
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < shapes.Length || clock.Elapsed < Budget; round++)
        {
            var (m, n, k, transposed, accumulate) = round < shapes.Length ? shapes[round] : shapes[random.Next(shapes.Length)];
            using var arena = new NativeArena(2L * m * k + (long)k * n + 3L * m * n);
            var a = Fill(arena.Take((long)m * k), m * k, random);
            var b = Fill(arena.Take((long)k * n), k * n, random);
            var start = Fill(arena.Take((long)m * n), m * n, random);
            var one = arena.Take((long)m * n);
            var many = arena.Take((long)m * n);
            nint rowStride = transposed ? 1 : k, columnStride = transposed ? m : 1;
            Copy(start, one, m * n);
            Sgemm.Multiply(m, n, k, a, rowStride, columnStride, b, n, one, n, accumulate, threads: 1);
            if (round < shapes.Length)
            {
                using var scope = NewDisposeScope();
                var ta = Tensor(a, transposed ? [k, m] : [m, k]);
                var product = (transposed ? ta.t() : ta).mm(Tensor(b, [k, n]));
                if (accumulate) product = product + Tensor(start, [m, n]);
                Tensor(one, [m, n]).allclose(product, rtol: 1e-4, atol: 1e-4).Should().BeTrue($"{m} x {n} x {k} against libtorch");
            }
            foreach (var threads in ThreadCounts)
            {
                Copy(start, many, m * n);
                Sgemm.Multiply(m, n, k, a, rowStride, columnStride, b, n, many, n, accumulate, threads);
                Same(many, one, m * n).Should().BeTrue($"round {round}: {m} x {n} x {k} on {threads} threads as on one");
            }
            arena.Check();
        }
    }

    [Fact]
    public void MultVaeLayersOnSeveralThreadsGiveWhatOneThreadAndLibtorchGive()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        (int Users, int Rows, int Items, int Units)[] shapes =
        [
            // users in the batch, rows of the data they are drawn from (a batch larger than the data repeats them), items, units
            (1, 1, 1, 5), (1, 1, 300, 8), (3, 3, 1, 7), (37, 37, 513, 20), (64, 64, 257, 16),
            (130, 100, 700, 33), (500, 320, 3340, 24), (17, 40, 1029, 600), (200, 200, 5508, 20),
        ];
        using var load = new Contention();
        var random = new Random(3);
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < shapes.Length || clock.Elapsed < Budget; round++)
        {
            var (users, rows, items, units) = round < shapes.Length ? shapes[round] : shapes[random.Next(shapes.Length)];
            var data = Clicks(rows, items, random);
            var batch = data.SelectRows(Enumerable.Range(0, users).Select(u => u % rows).ToArray());
            var keep = Enumerable.Range(0, batch.ClickCount).Select(_ => random.NextDouble() >= 0.3).ToArray();
            var clickWeights = MultVaeLayers.InputWeights(batch, 0.3, keep);
            var padded = MultVaeLayers.PaddedUsers(users);
            long Size(int threads) => 2L * users * units + (long)items * padded + (long)items * units + items + (long)users * units;
            using var inputs = new NativeArena(2L * items * units + items + units + (long)users * units);
            var inputWeight = Fill(inputs.Take((long)items * units), items * units, random);
            var inputBias = Fill(inputs.Take(units), units, random);
            var weight = Fill(inputs.Take((long)items * units), items * units, random);
            var bias = Fill(inputs.Take(items), items, random);
            var hidden = Fill(inputs.Take((long)users * units), users * units, random);

            (float[] First, double Loss, float[] WeightGradient, float[] BiasGradient, float[] HiddenGradient) Run(int threads)
            {
                using var arena = new NativeArena(Size(threads));
                var first = arena.Take((long)users * units);
                MultVaeLayers.InputForward(batch, clickWeights, inputWeight, inputBias, units, first, threads);
                var scratch = arena.Take((long)items * padded);
                var weightGradient = arena.Take((long)items * units);
                var biasGradient = arena.Take(items);
                var hiddenGradient = arena.Take((long)users * units);
                var loss = MultVaeLayers.OutputForwardBackward(batch, hidden, units, weight, bias, scratch, weightGradient, biasGradient, hiddenGradient, threads);
                var result = (Array(first, users * units), loss, Array(weightGradient, items * units), Array(biasGradient, items), Array(hiddenGradient, users * units));
                arena.Check();
                return result;
            }

            var one = Run(1);
            if (round < shapes.Length)
                MatchesLibtorch(batch, clickWeights, one, inputWeight, inputBias, weight, bias, hidden, users, items, units);
            foreach (var threads in ThreadCounts)
            {
                // The softmax passes add one partial sum per part, and the parts follow the thread count: on a given
                // thread count every run gives the same bits, and any thread count what one thread gives to rounding.
                var many = Run(threads);
                var again = Run(threads);
                var what = $"round {round}: {users} users ({rows} rows), {items} items, {units} units on {threads} threads";
                again.First.Should().Equal(many.First, what + ", twice");
                again.Loss.Should().Be(many.Loss, what + ", twice");
                again.WeightGradient.Should().Equal(many.WeightGradient, what + ", twice");
                again.BiasGradient.Should().Equal(many.BiasGradient, what + ", twice");
                again.HiddenGradient.Should().Equal(many.HiddenGradient, what + ", twice");
                many.First.Should().Equal(one.First, what + " as on one");
                many.Loss.Should().BeApproximately(one.Loss, 1e-6 * Math.Abs(one.Loss) + 1e-6, what + " as on one");
                Close(many.WeightGradient, one.WeightGradient, what + " as on one (weight gradient)");
                Close(many.BiasGradient, one.BiasGradient, what + " as on one (bias gradient)");
                Close(many.HiddenGradient, one.HiddenGradient, what + " as on one (hidden gradient)");
            }
            inputs.Check();
        }
    }

    [SkippableFact]
    public void TheFusedStepOnSeveralThreadsGivesWhatItGivesOnOne()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        (int Features, int[] Hidden, int Latent, int Batch, int Rows)[] shapes =
        [
            // features, hidden sizes, latent size, batch size, rows of the data (a batch larger than the data repeats rows)
            (784, [400], 20, 1, 1), (21, [30, 17], 3, 7, 7), (64, [48, 30], 3, 37, 20), (21, [], 2, 5, 5),
            (784, [400], 20, 128, 100), (40, [32], 4, 24, 24), (1, [1], 1, 3, 2), (33, [65], 5, 300, 300),
        ];
        using var load = new Contention();
        var random = new Random(4);
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < shapes.Length || clock.Elapsed < Budget; round++)
        {
            var (features, hidden, latent, batchSize, rows) = round < shapes.Length ? shapes[round] : shapes[random.Next(shapes.Length)];
            using var scope = NewDisposeScope();
            manual_seed(round);
            using var model = new VariationalAutoencoder(new VaeOptions { InputSize = features, HiddenSizes = hidden, LatentSize = latent });
            using var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
            using var fused = FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients);
            fused.Should().NotBeNull();
            var data = Binary(rows, features, seed: round);
            var indices = tensor(Enumerable.Range(0, batchSize).Select(r => (long)(r % rows)).ToArray());

            (float Loss, float Reconstruction, float Kl) Step(int threads, out Tensor gradients)
            {
                using var noise = new Generator(5);
                var terms = fused!.Run(data, indices, 1.0, noise, threads);
                gradients = adam.Gradients.clone();
                return terms;
            }

            var one = Step(1, out var gradientsOne);
            foreach (var threads in ThreadCounts)
            {
                var many = Step(threads, out var gradientsMany);
                var what = $"round {round}: {features}-[{string.Join(", ", hidden)}]-{latent}, batch {batchSize} of {rows} rows, on {threads} threads as on one";
                many.Should().Be(one, what);
                TensorAssert.Identical(gradientsMany, gradientsOne).Should().BeTrue(what);
            }
        }
    }

    [SkippableFact]
    public void TheFusedConvolutionalStepOnSeveralThreadsGivesWhatItGivesOnOneAndWhatLibtorchGives()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        (int Channels, int Height, int Width, int[] Conv, int[] Hidden, int Latent, int Batch, int Rows, VaeLikelihood Likelihood)[] shapes =
        [
            // image, conv channels, hidden sizes, latent size, batch size, rows of the data (a larger batch repeats rows), likelihood
            (1, 28, 28, [32, 64], [400], 20, 128, 100, VaeLikelihood.Bernoulli), (1, 28, 28, [32, 64], [400], 20, 1, 1, VaeLikelihood.Bernoulli),
            (1, 2, 2, [1], [1], 1, 3, 2, VaeLikelihood.Bernoulli), (3, 7, 5, [4, 6], [16], 3, 19, 19, VaeLikelihood.Bernoulli),
            (2, 9, 11, [5], [], 2, 37, 20, VaeLikelihood.Gaussian), (1, 16, 16, [3, 8, 7], [12, 7], 4, 5, 5, VaeLikelihood.Bernoulli),
            (4, 6, 10, [9, 2], [10], 5, 33, 33, VaeLikelihood.Gaussian), (1, 13, 17, [16, 32], [64], 8, 70, 70, VaeLikelihood.Bernoulli),
            (5, 4, 4, [7, 3], [9], 2, 300, 64, VaeLikelihood.Bernoulli),
        ];
        using var load = new Contention();
        var random = new Random(6);
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < shapes.Length || clock.Elapsed < Budget; round++)
        {
            var (channels, height, width, conv, hidden, latent, batchSize, rows, likelihood) = round < shapes.Length ? shapes[round] : shapes[random.Next(shapes.Length)];
            using var scope = NewDisposeScope();
            var options = FusedConvStepTests.Options(channels, height, width, conv, hidden, latent) with { Likelihood = likelihood };
            using var generator = new Generator((ulong)round + 1);
            var data = likelihood == VaeLikelihood.Bernoulli ? Binary(rows, options.InputSize, seed: round) : randn([rows, options.InputSize], generator: generator);
            var indices = tensor(Enumerable.Range(0, batchSize).Select(r => (long)(r % rows)).ToArray());
            var what = $"round {round}: {channels}x{height}x{width}, conv [{string.Join(", ", conv)}], hidden [{string.Join(", ", hidden)}], latent {latent}, batch {batchSize} of {rows} rows, {likelihood}";
            if (round < shapes.Length)
                FusedMlpStepTests.CompareWithAutograd(options, data.index_select(0, indices), beta: 1.0);

            manual_seed(round);
            using var model = new VariationalAutoencoder(options);
            using var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
            using var fused = FusedConvStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients);
            fused.Should().NotBeNull(what);

            (float Loss, float Reconstruction, float Kl) Step(int threads, out Tensor gradients)
            {
                using var noise = new Generator(5);
                var terms = fused!.Run(data, indices, 1.0, noise, threads);
                gradients = adam.Gradients.clone();
                return terms;
            }

            var one = Step(1, out var gradientsOne);
            foreach (var threads in ThreadCounts)
            {
                var many = Step(threads, out var gradientsMany);
                many.Should().Be(one, $"{what}, on {threads} threads as on one");
                TensorAssert.Identical(gradientsMany, gradientsOne).Should().BeTrue($"{what}, on {threads} threads as on one");
            }
        }
    }

    [SkippableFact]
    public void TheFusedLikelihoodOnSeveralThreadsGivesWhatItGivesOnOne()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        (int Features, int[] Hidden, int Latent, int Rows, int Samples, VaeLikelihood Likelihood)[] shapes =
        [
            (784, [400], 20, 1, 1, VaeLikelihood.Bernoulli), (784, [400], 20, 1, 300, VaeLikelihood.Bernoulli),
            (21, [30, 17], 3, 4, 7, VaeLikelihood.Bernoulli), (1, [1], 1, 1, 17, VaeLikelihood.Bernoulli),
            (21, [30], 3, 3, 513, VaeLikelihood.Gaussian), (50, [64], 8, 7, 33, VaeLikelihood.Bernoulli),
        ];
        using var load = new Contention();
        var random = new Random(5);
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < shapes.Length || clock.Elapsed < Budget; round++)
        {
            var (features, hidden, latent, rows, samples, likelihood) = round < shapes.Length ? shapes[round] : shapes[random.Next(shapes.Length)];
            using var scope = NewDisposeScope();
            manual_seed(round);
            using var model = new VariationalAutoencoder(new VaeOptions { InputSize = features, HiddenSizes = hidden, LatentSize = latent, Likelihood = likelihood });
            using var fused = FusedLikelihood.TryCreate(model);
            fused.Should().NotBeNull();
            using var generator = new Generator((ulong)round + 1);
            var targets = likelihood == VaeLikelihood.Bernoulli ? Binary(rows, features, seed: round) : randn([rows, features], generator: generator);
            var z = randn([samples * rows, latent], generator: generator);

            var one = fused!.LogLikelihood(z, targets, threads: 1);
            if (round < shapes.Length)
            {
                using var noGrad = no_grad();
                var decoded = model.Decoder.forward(z).reshape(samples, rows, features);
                var logVar = model.Decoder.OutputLogVariance(decoded.dtype, decoded.device);
                var expected = DistributionRegistry.Likelihood(likelihood)!.NegativeLogDensity(decoded, logVar, targets.expand_as(decoded)).sum(-1).neg().reshape(samples * rows);
                one.allclose(expected, rtol: 1e-4, atol: 1e-3).Should().BeTrue($"{features}-[{string.Join(", ", hidden)}]-{latent}, {rows} rows x {samples} samples against libtorch");
            }
            foreach (var threads in ThreadCounts)
            {
                var many = fused.LogLikelihood(z, targets, threads);
                TensorAssert.Identical(many, one).Should().BeTrue($"round {round}: {rows} rows x {samples} samples on {threads} threads as on one");
            }
        }
    }

    // The convolutional decoder of the fused likelihood shares whole tiles out among the workers: under contention, on
    // any thread count, every sample's value is the one a single thread gives, and no worker writes past its buffers.
    [SkippableFact]
    public void TheConvolutionalFusedLikelihoodOnSeveralThreadsGivesWhatItGivesOnOne()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        (int Channels, int Height, int Width, int[] Conv, int[] Hidden, int Latent, int Rows, int Samples)[] shapes =
        [
            (1, 28, 28, [32, 64], [400], 20, 1, 100), (3, 7, 5, [4, 6], [16], 3, 3, 41), (2, 9, 11, [5], [], 2, 1, 1),
            (1, 16, 16, [3, 8, 7], [12, 7], 4, 2, 65),
        ];
        using var load = new Contention();
        var random = new Random(6);
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < shapes.Length || clock.Elapsed < Budget; round++)
        {
            var (channels, height, width, conv, hidden, latent, rows, samples) = round < shapes.Length ? shapes[round] : shapes[random.Next(shapes.Length)];
            using var scope = NewDisposeScope();
            manual_seed(round);
            var options = FusedConvStepTests.Options(channels, height, width, conv, hidden, latent);
            using var model = new VariationalAutoencoder(options);
            using var fused = FusedLikelihood.TryCreate(model);
            fused.Should().NotBeNull();
            using var generator = new Generator((ulong)round + 1);
            var targets = Binary(rows, options.InputSize, seed: round);
            var z = randn([samples * rows, latent], generator: generator);
            var one = fused!.LogLikelihood(z, targets, threads: 1);
            foreach (var threads in ThreadCounts)
                TensorAssert.Identical(fused.LogLikelihood(z, targets, threads), one).Should().BeTrue($"round {round}: {options} with {rows} rows x {samples} samples on {threads} threads as on one");
        }
    }

    [Fact]
    public void AdamsThreadedCpuStepUpdatesEveryWeightAsOneThreadDoes()
    {
        // 131,073 weights over two threads once left the last one to no thread (two chunks of 65,536).
        int[] sizes = [131_073, 131_072, 196_611, 262_207, 65_537, 1];
        using var load = new Contention();
        foreach (var size in sizes)
        {
            using var scope = NewDisposeScope();
            manual_seed(size);
            var start = randn(size);
            var gradient = randn(size);
            Tensor Stepped(int threads)
            {
                var parameter = new TorchSharp.Modules.Parameter(start.clone(), requires_grad: true);
                using var adam = new FlatAdam([parameter], 1e-2) { Threads = threads };
                for (var step = 0; step < 3; step++)
                {
                    adam.Gradients.copy_(gradient);
                    adam.Step();
                }
                return adam.Parameters.clone();
            }

            var one = Stepped(1);
            foreach (var threads in ThreadCounts)
                TensorAssert.Identical(Stepped(threads), one).Should().BeTrue($"{size} weights on {threads} threads as on one");
            one.ne(start).all().item<bool>().Should().BeTrue($"every one of {size} weights moves");
        }
    }

    private static void MatchesLibtorch(ClickMatrix batch, float[] clickWeights, (float[] First, double Loss, float[] WeightGradient, float[] BiasGradient, float[] HiddenGradient) actual,
        float* inputWeight, float* inputBias, float* weight, float* bias, float* hidden, int users, int items, int units)
    {
        using var scope = NewDisposeScope();
        var what = $"{users} users, {items} items, {units} units against libtorch";
        var x = zeros(users, items);
        var weights = zeros(users, items);
        var rowPointers = batch.RowPointers;
        var clicked = batch.ItemIndices;
        var (xs, ws) = (new float[users * items], new float[users * items]);
        for (var u = 0; u < users; u++)
        {
            for (var c = rowPointers[u]; c < rowPointers[u + 1]; c++)
            {
                xs[u * items + clicked[c]] += 1;
                ws[u * items + clicked[c]] += clickWeights[c];
            }
        }
        x = tensor(xs, [users, items]);
        weights = tensor(ws, [users, items]);
        var first = weights.mm(Tensor(inputWeight, [items, units])) + Tensor(inputBias, [units]);
        Near(actual.First, first, what + " (input layer)");

        var w = Tensor(weight, [items, units]).requires_grad_(true);
        var b = Tensor(bias, [items]).requires_grad_(true);
        var h = Tensor(hidden, [users, units]).requires_grad_(true);
        var logits = h.mm(w.t()) + b;
        var loss = -(x * logits.log_softmax(1)).sum();
        (loss / users).backward();
        actual.Loss.Should().BeApproximately(loss.item<float>(), 1e-4 * Math.Abs(loss.item<float>()) + 1e-3, what);
        Near(actual.WeightGradient, w.grad!, what + " (weight gradient)");
        Near(actual.BiasGradient, b.grad!, what + " (bias gradient)");
        Near(actual.HiddenGradient, h.grad!, what + " (hidden gradient)");
    }

    private static void Close(float[] actual, float[] expected, string what)
    {
        var scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        for (var i = 0; i < expected.Length; i++)
            actual[i].Should().BeApproximately(expected[i], 1e-5f * scale + 1e-7f, $"{what}, element {i}");
    }

    private static void Near(float[] actual, Tensor expected, string what)
    {
        var values = expected.detach().contiguous().data<float>().ToArray();
        var scale = values.Length == 0 ? 0 : values.Max(Math.Abs);
        for (var i = 0; i < values.Length; i++)
            actual[i].Should().BeApproximately(values[i], 1e-4f * scale + 1e-5f, $"{what}, element {i}");
    }

    private static ClickMatrix Clicks(int users, int items, Random random)
    {
        var (u, i) = (new List<int>(), new List<int>());
        for (var user = 0; user < users; user++)
        {
            var count = random.Next(1, Math.Min(items, 60) + 1);
            foreach (var item in Enumerable.Range(0, items).OrderBy(_ => random.Next()).Take(count))
            {
                u.Add(user);
                i.Add(item);
            }
        }
        return ClickMatrix.FromPairs(users, items, u.ToArray(), i.ToArray());
    }

    private static float* Fill(float* block, long count, Random random)
    {
        for (long i = 0; i < count; i++) block[i] = (float)(random.NextDouble() - 0.5);
        return block;
    }

    private static void Copy(float* from, float* to, long count) => new ReadOnlySpan<float>(from, checked((int)count)).CopyTo(new Span<float>(to, checked((int)count)));

    private static bool Same(float* a, float* b, long count) => new ReadOnlySpan<float>(a, checked((int)count)).SequenceEqual(new ReadOnlySpan<float>(b, checked((int)count)));

    private static float[] Array(float* block, long count) => new ReadOnlySpan<float>(block, checked((int)count)).ToArray();

    private static Tensor Tensor(float* block, long[] shape) => tensor(Array(block, shape.Aggregate(1L, (p, s) => p * s)), shape);

    /// <summary>
    /// Busy neighbours for the length of a test: one spinning thread per core and one more, so the kernels' helpers are
    /// descheduled in the middle of calls, and a hook that makes a helper wake late, now and then by a whole
    /// scheduler tick.
    /// </summary>
    private sealed class Contention : IDisposable
    {
        private readonly Thread[] neighbours;
        private volatile bool stop;

        public Contention()
        {
            neighbours = Enumerable.Range(0, Environment.ProcessorCount + 1).Select(i => new Thread(() =>
            {
                var spins = 0L;
                while (!stop) spins++;
            }) { IsBackground = true, Name = $"busy neighbour {i}" }).ToArray();
            foreach (var thread in neighbours) thread.Start();
            KernelThreads.HelperWaking = () =>
            {
                var draw = Random.Shared.Next(16);
                if (draw == 0) Thread.Sleep(1);
                else if (draw < 4) Thread.Yield();
                else if (draw < 8) Thread.SpinWait(Random.Shared.Next(1, 5000));
            };
        }

        public void Dispose()
        {
            KernelThreads.HelperWaking = null;
            stop = true;
            foreach (var thread in neighbours) thread.Join();
        }
    }
}

/// <summary>Tests that set <see cref="KernelThreads.HelperWaking"/>, which is global, run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class KernelThreadsCollection
{
    public const string Name = "KernelThreads";
}
