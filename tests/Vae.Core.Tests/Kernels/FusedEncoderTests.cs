using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Kernels;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// The fused posterior of the convolutional encoder against the encoder module, and <see cref="VariationalAutoencoder.Encode"/>
/// with and without it.
/// </summary>
public sealed class FusedEncoderTests
{
    // Both heads against the module's on the networks of the fused decoder's tests, on 1 to 3 threads.
    [SkippableTheory]
    [MemberData(nameof(FusedLikelihoodTests.ConvolutionalShapes), MemberType = typeof(FusedLikelihoodTests))]
    public void GivesTheEncodersPosterior(int channels, int height, int width, int[] convChannels, int[] hidden, int latent, int rows, int samples, VaeLikelihood likelihood)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(5);
        var options = FusedConvStepTests.Options(channels, height, width, convChannels, hidden, latent) with { Likelihood = likelihood };
        using var model = new VariationalAutoencoder(options);
        using var fused = FusedEncoder.TryCreate(model);
        fused.Should().NotBeNull();
        var count = rows * samples;
        var x = likelihood == VaeLikelihood.Bernoulli ? Binary(count, options.InputSize, seed: 2) : randn([count, options.InputSize], generator: new Generator(9));
        using var noGrad = no_grad();
        var (expectedMean, expectedLogVariance) = model.Posterior(x);
        foreach (var threads in new[] { 1, 2, 3 })
        {
            var (mean, logVariance) = fused!.Posterior(x.contiguous(), threads);
            mean.shape.Should().Equal(count, latent);
            logVariance.shape.Should().Equal(count, latent);
            foreach (var (actual, expected, name) in new[] { (mean, expectedMean, "mean"), (logVariance, expectedLogVariance, "log-variance") })
            {
                var a = TensorAssert.ToDoubles(actual);
                var e = TensorAssert.ToDoubles(expected);
                var scale = e.Max(Math.Abs);
                for (var n = 0; n < e.Length; n++)
                    a[n].Should().BeApproximately(e[n], 2e-5 * scale, $"{name}, {threads} threads, row {n / latent}, dimension {n % latent}");
            }
        }
    }

    // Encode takes the fused encoder from a tile of images: the same codes as the modules give, above and below it.
    [SkippableTheory]
    [InlineData(70)]
    [InlineData(32)]
    [InlineData(7)]
    public void EncodingAConvolutionalModelGivesTheModulesCodes(int rows)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(8);
        var options = FusedConvStepTests.Options(1, 12, 10, [4, 8], [16], 3);
        using var model = new VariationalAutoencoder(options);
        var x = Binary(rows, options.InputSize, seed: 4).reshape(rows, 1, 12, 10);
        var codes = new List<double[]>();
        foreach (var useFused in new[] { true, false })
        {
            VariationalAutoencoder.UseFusedInference = useFused;
            try
            {
                codes.Add(TensorAssert.ToDoubles(model.Encode(x)));
            }
            finally
            {
                VariationalAutoencoder.UseFusedInference = true;
            }
        }
        codes[0].Length.Should().Be(rows * 3);
        var scale = codes[1].Max(Math.Abs);
        for (var n = 0; n < codes[1].Length; n++)
            codes[0][n].Should().BeApproximately(codes[1][n], 2e-5 * scale, $"row {n / 3}, dimension {n % 3}");
    }
}
