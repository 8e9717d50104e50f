using FluentAssertions;
using TorchSharp;
using System.Runtime.Intrinsics.X86;
using Vae.Core;
using Vae.Core.Kernels;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// The fused log p(x|z) kernel behind the importance-weighted estimate (Bernoulli and Gaussian), against the decoder
/// module and <see cref="ElboLoss"/> on the same latents, and the estimator with and without it.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class FusedLikelihoodTests(TrainedModelFixture fixture)
{
    public static TheoryData<int, int[], int, int, int, VaeLikelihood, bool> Shapes => new()
    {
        // features, hidden sizes, latent size, target rows, samples per row, likelihood, learned variances
        { 784, [400], 20, 1, 300, VaeLikelihood.Bernoulli, false }, // one image, more samples than one tile of 256
        { 784, [400], 20, 3, 90, VaeLikelihood.Bernoulli, false },  // several images interleaved, as the estimator lays them out
        { 21, [30, 17], 3, 4, 7, VaeLikelihood.Bernoulli, false },  // two hidden layers, nothing a multiple of 16
        { 21, [30], 3, 1, 300, VaeLikelihood.Gaussian, false },     // Gaussian, fixed variance
        { 21, [30], 3, 4, 70, VaeLikelihood.Gaussian, true },       // Gaussian, a learned variance per feature
    };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheDecoderAndTheLikelihood(int features, int[] hidden, int latent, int rows, int samples, VaeLikelihood likelihood, bool learned)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new VariationalAutoencoder(new VaeOptions
        {
            InputSize = features, HiddenSizes = hidden, LatentSize = latent, Likelihood = likelihood, GaussianVariance = 0.3, LearnGaussianVariance = learned,
        });
        if (model.Decoder.LogVariance is { } logVariance)
        {
            using var noGrad = no_grad();
            logVariance.copy_(linspace(-1, 1, features)); // per-feature values, so a mix-up between features shows
        }
        using var fused = FusedLikelihood.TryCreate(model);
        fused.Should().NotBeNull();
        using var generator = new Generator(4);
        var targets = likelihood == VaeLikelihood.Bernoulli ? Binary(rows, features, seed: 8) : randn([rows, features], generator: generator);
        var z = randn([samples, rows, latent], generator: generator).mul_(2);

        var actual = TensorAssert.ToDoubles(fused!.LogLikelihood(z.reshape(samples * rows, latent), targets, threads: 2));

        using (var noGrad = no_grad())
        {
            var decoded = model.Decoder.forward(z.reshape(samples * rows, latent)).reshape(samples, rows, features);
            var logVar = model.Decoder.OutputLogVariance(decoded.dtype, decoded.device);
            var expected = TensorAssert.ToDoubles(DistributionRegistry.Likelihood(likelihood)!.NegativeLogDensity(decoded, logVar, targets.expand_as(decoded)).sum(-1).neg());
            for (var n = 0; n < expected.Length; n++)
                actual[n].Should().BeApproximately(expected[n], 2e-5 * Math.Abs(expected[n]) + 1e-4, $"sample {n / rows} of row {n % rows}");
        }
    }

    public static TheoryData<int, int, int, int[], int[], int, int, int, VaeLikelihood> ConvolutionalShapes => new()
    {
        // channels, height, width, conv channels, hidden sizes, latent size, target rows, samples per row, likelihood
        { 1, 28, 28, [32, 64], [400], 20, 1, 70, VaeLikelihood.Bernoulli }, // the default network, one image, more than two tiles
        { 1, 28, 28, [32, 64], [400], 20, 3, 5, VaeLikelihood.Bernoulli },  // several images interleaved, one partial tile
        { 3, 7, 5, [4, 6], [16], 3, 2, 37, VaeLikelihood.Bernoulli }, // odd sizes (7 -> 3 -> 1, 5 -> 2 -> 1), three channels
        { 2, 9, 11, [5], [], 2, 1, 40, VaeLikelihood.Gaussian },  // one convolution, no hidden layer, Gaussian
        { 1, 16, 16, [3, 8, 7], [12, 7], 4, 4, 9, VaeLikelihood.Bernoulli }, // three transposed convolutions, two hidden layers
    };

    // The convolutional decoder (transposed convolutions as products into columns and col2im) against the modules.
    [SkippableTheory]
    [MemberData(nameof(ConvolutionalShapes))]
    public void MatchesAConvolutionalDecoderAndTheLikelihood(int channels, int height, int width, int[] convChannels, int[] hidden, int latent, int rows, int samples, VaeLikelihood likelihood)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(5);
        var options = FusedConvStepTests.Options(channels, height, width, convChannels, hidden, latent) with { Likelihood = likelihood, GaussianVariance = 0.3 };
        using var model = new VariationalAutoencoder(options);
        using var fused = FusedLikelihood.TryCreate(model);
        fused.Should().NotBeNull();
        var features = (int)options.InputSize;
        using var generator = new Generator(9);
        var targets = (likelihood == VaeLikelihood.Bernoulli ? Binary(rows, features, seed: 2) : randn([rows, features], generator: generator))
            .reshape(rows, channels, height, width);
        var z = randn([samples, rows, latent], generator: generator).mul_(2);

        foreach (var threads in new[] { 1, 2, 3 })
        {
            var actual = TensorAssert.ToDoubles(fused!.LogLikelihood(z.reshape(samples * rows, latent), targets, threads));
            using var noGrad = no_grad();
            var decoded = model.Decoder.forward(z.reshape(samples * rows, latent)).reshape(samples, rows, features);
            var logVar = model.Decoder.OutputLogVariance(decoded.dtype, decoded.device);
            var flat = targets.reshape(rows, features);
            var expected = TensorAssert.ToDoubles(DistributionRegistry.Likelihood(likelihood)!.NegativeLogDensity(decoded, logVar, flat.expand_as(decoded)).sum(-1).neg());
            for (var n = 0; n < expected.Length; n++)
                actual[n].Should().BeApproximately(expected[n], 2e-5 * Math.Abs(expected[n]) + 1e-4, $"{threads} threads, sample {n / rows} of row {n % rows}");
        }
    }

    // The convolutional decoder's outputs (logits or means) against the decoder module, on 1 to 3 threads.
    [SkippableTheory]
    [MemberData(nameof(ConvolutionalShapes))]
    public void GivesAConvolutionalDecodersOutputs(int channels, int height, int width, int[] convChannels, int[] hidden, int latent, int rows, int samples, VaeLikelihood likelihood)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(5);
        var options = FusedConvStepTests.Options(channels, height, width, convChannels, hidden, latent) with { Likelihood = likelihood, GaussianVariance = 0.3 };
        using var model = new VariationalAutoencoder(options);
        using var fused = FusedLikelihood.TryCreate(model);
        fused.Should().NotBeNull();
        var count = rows * samples;
        var z = randn([count, latent], generator: new Generator(9)).mul_(2);
        using var noGrad = no_grad();
        var expected = TensorAssert.ToDoubles(model.Decoder.forward(z).reshape(count, options.InputSize));
        foreach (var threads in new[] { 1, 2, 3 })
        {
            var output = fused!.DecoderOutput(z, threads);
            output.shape.Should().Equal(count, options.InputSize);
            var actual = TensorAssert.ToDoubles(output);
            var scale = expected.Max(Math.Abs);
            for (var n = 0; n < expected.Length; n++)
                actual[n].Should().BeApproximately(expected[n], 2e-5 * scale, $"{threads} threads, sample {n / options.InputSize}, feature {n % options.InputSize}");
        }
    }

    // Decode, Sample and Reconstruct of a convolutional model take the fused decoder from a tile of rows: the same means
    // as the modules give, above and below that size.
    [SkippableTheory]
    [InlineData(VaeLikelihood.Bernoulli, 70)]
    [InlineData(VaeLikelihood.Gaussian, 33)]
    [InlineData(VaeLikelihood.Bernoulli, 5)]
    public void DecodingAConvolutionalModelGivesTheModulesMeans(VaeLikelihood likelihood, int rows)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(8);
        var options = FusedConvStepTests.Options(1, 12, 10, [4, 8], [16], 3) with { Likelihood = likelihood, LearnGaussianVariance = likelihood == VaeLikelihood.Gaussian };
        using var model = new VariationalAutoencoder(options);
        var z = randn([rows, 3], generator: new Generator(2));
        var x = Binary(rows, options.InputSize, seed: 4);
        var results = new List<double[][]>();
        foreach (var useFused in new[] { true, false })
        {
            VariationalAutoencoder.UseFusedInference = useFused;
            try
            {
                results.Add([TensorAssert.ToDoubles(model.Decode(z)), TensorAssert.ToDoubles(model.Sample(rows, new Generator(3))), TensorAssert.ToDoubles(model.Reconstruct(x))]);
            }
            finally
            {
                VariationalAutoencoder.UseFusedInference = true;
            }
        }
        string[] names = ["Decode", "Sample", "Reconstruct"];
        for (var k = 0; k < names.Length; k++)
        {
            results[0][k].Length.Should().Be(rows * (int)options.InputSize);
            for (var n = 0; n < results[0][k].Length; n++)
                results[0][k][n].Should().BeApproximately(results[1][k][n], 1e-5 * Math.Max(1, Math.Abs(results[1][k][n])), $"{names[k]}, element {n}");
        }
    }

    // The estimate of a small convolutional model with the fused decoder and on the modules, with many rows per block
    // and one.
    [SkippableFact]
    public void TheImportanceWeightedEstimateOfAConvolutionalModelIsTheSameWithAndWithoutIt()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(7);
        var options = FusedConvStepTests.Options(1, 12, 10, [4, 8], [16], 3);
        using var model = new VariationalAutoencoder(options);
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 20, Seed = 1 }))
            trainer.Fit(Binary(60, options.InputSize, seed: 3));
        var x = Binary(9, options.InputSize, seed: 4).reshape(9, 1, 12, 10);
        foreach (var budget in new long[] { LikelihoodEstimator.DefaultElementBudget, 5_000 }) // many rows per block; one row, several chunks
        {
            var fused = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(model, x, 300, new Generator(6), null, budget, CancellationToken.None));
            var modules = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(model, x, 300, new Generator(6), null, budget, CancellationToken.None, useFusedKernels: false));
            for (var i = 0; i < x.shape[0]; i++)
                fused[i].Should().BeApproximately(modules[i], 1e-5 * Math.Abs(modules[i]), $"row {i}, budget {budget}");
        }
    }

    // The same on the AVX2 tile of the matrix kernels, which a processor with AVX-512 takes only when told to (as the
    // benchmarks' --avx2 option tells it).
    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheDecoderAndTheLikelihoodOnTheAvx2Tile(int features, int[] hidden, int latent, int rows, int samples, VaeLikelihood likelihood, bool learned)
    {
        Skip.IfNot(Avx512F.IsSupported, "without AVX-512 the other tests run the AVX2 tile already");
        Sgemm.PreferAvx512 = false;
        try
        {
            MatchesTheDecoderAndTheLikelihood(features, hidden, latent, rows, samples, likelihood, learned);
        }
        finally
        {
            Sgemm.PreferAvx512 = true;
        }
    }

    [Fact]
    public void TheImportanceWeightedEstimateIsTheSameWithAndWithoutIt()
    {
        using var scope = NewDisposeScope();
        var x = fixture.Test.narrow(0, 0, 12);
        foreach (var budget in new long[] { LikelihoodEstimator.DefaultElementBudget, 50_000 }) // many rows per block; one row per block
        {
            var fused = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(fixture.Model, x, 200, new Generator(6), null, budget, CancellationToken.None));
            var modules = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(fixture.Model, x, 200, new Generator(6), null, budget, CancellationToken.None, useFusedKernels: false));
            for (var i = 0; i < x.shape[0]; i++)
                fused[i].Should().BeApproximately(modules[i], 1e-4 * Math.Abs(modules[i]), $"row {i}, budget {budget}");
        }
    }
}
