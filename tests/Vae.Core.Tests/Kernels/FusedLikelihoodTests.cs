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
