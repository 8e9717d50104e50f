using TorchSharp;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>
/// The anomaly score at the posterior mean through the fused decoder (<see cref="FusedLikelihood"/>) against the
/// modules' path, for the networks the kernels cover, on 1 to 3 threads.
/// </summary>
public sealed class FusedAnomalyScoreTests
{
    public static TheoryData<string, int> Models() => new()
    {
        { "mlp-bernoulli", 1 },
        { "mlp-gaussian-learned", 2 },
        { "mlp-two-hidden", 3 },
        { "conv-bernoulli", 1 },
        { "conv-gaussian", 2 },
        { "conv-odd-image", 3 },
    };

    private static VaeOptions Options(string name) => name switch
    {
        "mlp-bernoulli" => new VaeOptions { InputSize = 37, HiddenSizes = [29], LatentSize = 5 },
        "mlp-gaussian-learned" => new VaeOptions { InputSize = 40, HiddenSizes = [24], LatentSize = 3, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true },
        "mlp-two-hidden" => new VaeOptions { InputSize = 50, HiddenSizes = [33, 17], LatentSize = 4 },
        "conv-bernoulli" => FusedConvStepTests.Options(1, 12, 12, [4, 8], [20], 3),
        "conv-gaussian" => FusedConvStepTests.Options(1, 8, 8, [3], [16], 2) with { Likelihood = VaeLikelihood.Gaussian },
        "conv-odd-image" => FusedConvStepTests.Options(2, 9, 11, [5], [], 4),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void TheFusedScoreIsTheModulesScore(string name, int threads)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        torch.manual_seed(7);
        using var model = new VariationalAutoencoder(Options(name));
        model.eval();
        var x = torch.rand([45, model.Options.InputSize], generator: new Generator(3));
        using var noGrad = no_grad();

        using var fused = FusedLikelihood.TryCreate(model);
        fused.Should().NotBeNull($"the kernels cover {name}");
        var expected = LogJoint.NegativeElboAtMean(model, x).data<float>().ToArray();
        var actual = LogJoint.NegativeElboAtMean(model, x, fused, threads).data<float>().ToArray();

        actual.Should().HaveCount(45);
        for (var i = 0; i < expected.Length; i++) actual[i].Should().BeApproximately(expected[i], 2e-5f * Math.Max(1, Math.Abs(expected[i])), $"row {i}");
    }

    [SkippableFact]
    public void TheDetectorScoresThroughTheFusedDecoderAsThroughTheModules()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        using var model = new VariationalAutoencoder(Options("conv-bernoulli"));
        var normal = torch.rand([60, model.Options.InputSize], generator: new Generator(5));
        using var detector = AnomalyDetector.Fit(model, normal);

        var scores = detector.Score(normal);
        using var noGrad = no_grad();
        model.eval();
        var modules = LogJoint.NegativeElboAtMean(model, normal).to_type(ScalarType.Float64).data<double>().ToArray();

        for (var i = 0; i < scores.Length; i++) scores[i].Should().BeApproximately(modules[i], 2e-5 * Math.Max(1, Math.Abs(modules[i])), $"row {i}");
    }
}
