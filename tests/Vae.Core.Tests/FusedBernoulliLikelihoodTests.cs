using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Kernels;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// The fused log p(x|z) kernel behind the importance-weighted estimate, against the decoder module and
/// <see cref="ElboLoss"/> on the same latents, and the estimator with and without it.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class FusedBernoulliLikelihoodTests(TrainedModelFixture fixture)
{
    public static TheoryData<int, int[], int, int, int> Shapes => new()
    {
        // features, hidden sizes, latent size, target rows, samples per row
        { 784, [400], 20, 1, 300 },  // one image, more samples than one tile of 256
        { 784, [400], 20, 3, 90 },   // several images interleaved, as the estimator lays them out
        { 21, [30, 17], 3, 4, 7 },   // two hidden layers, nothing a multiple of 16
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheDecoderAndTheBinaryCrossEntropy(int features, int[] hidden, int latent, int rows, int samples)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = features, HiddenSizes = hidden, LatentSize = latent });
        using var fused = FusedBernoulliLikelihood.TryCreate(model);
        if (!Sgemm.IsSupported)
        {
            fused.Should().BeNull("without AVX2 and FMA the estimator must use the modules");
            return;
        }
        var targets = Binary(rows, features, seed: 8);
        using var generator = new Generator(4);
        var z = randn([samples, rows, latent], generator: generator).mul_(2);

        var actual = TensorAssert.ToDoubles(fused!.LogLikelihood(z.reshape(samples * rows, latent), targets, threads: 2));

        using var noGrad = no_grad();
        var logits = model.Decoder.forward(z.reshape(samples * rows, latent)).reshape(samples, rows, features);
        var expected = TensorAssert.ToDoubles(ElboLoss.ReconstructionElementwise(logits, null, targets.expand_as(logits)).sum(-1).neg());
        for (var n = 0; n < expected.Length; n++)
            actual[n].Should().BeApproximately(expected[n], 2e-5 * Math.Abs(expected[n]) + 1e-4, $"sample {n / rows} of row {n % rows}");
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
