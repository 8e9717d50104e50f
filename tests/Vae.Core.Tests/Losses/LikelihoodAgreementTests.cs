using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Kernels;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// Every likelihood through the three implementations of -log p(x|z): <see cref="ElboLoss"/> on libtorch, the fused
/// training step's loss (<see cref="FusedMlpStep"/>, in its step and in its evaluation) and the fused importance-weighted
/// kernel (<see cref="FusedLikelihood"/>), on the same model, data and latent samples.
/// </summary>
public sealed class LikelihoodAgreementTests
{
    private const int Rows = 37;

    private static readonly VaeOptions Small = new() { InputSize = 21, HiddenSizes = [30], LatentSize = 3 };

    // One row per likelihood and variant of it; a new likelihood needs a row (EveryLikelihoodHasARow).
    private static readonly Dictionary<string, VaeOptions> Table = new()
    {
        ["Bernoulli"] = Small with { Likelihood = VaeLikelihood.Bernoulli },
        ["Gaussian, fixed variance"] = Small with { Likelihood = VaeLikelihood.Gaussian, GaussianVariance = 0.3 },
        ["Gaussian, learned variance"] = Small with { Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true },
        ["Continuous Bernoulli"] = Small with { Likelihood = VaeLikelihood.ContinuousBernoulli },
    };

    // Likelihoods the fused kernels do not implement: both must decline them, and libtorch's value is held to the closed
    // form in double precision instead.
    private static readonly Dictionary<VaeLikelihood, Func<double, double, double>> LibtorchOnly = new()
    {
        // -log p(x | l) = BCE(l, x) - log(l / tanh(l / 2)), log 2 at l = 0.
        [VaeLikelihood.ContinuousBernoulli] = (logit, x) =>
            Math.Max(logit, 0) - logit * x + Math.Log(1 + Math.Exp(-Math.Abs(logit)))
            - (logit == 0 ? Math.Log(2) : Math.Log(logit / Math.Tanh(logit / 2))),
    };

    public static TheoryData<string> Likelihoods => new(Table.Keys);

    [Fact]
    public void EveryLikelihoodHasARow() =>
        Table.Values.Select(o => o.Likelihood).Distinct().Should().BeEquivalentTo(Enum.GetValues<VaeLikelihood>());

    [SkippableTheory]
    [MemberData(nameof(Likelihoods))]
    public void TheLibtorchLossTheFusedStepAndTheFusedLikelihoodAgree(string likelihood)
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        var options = Table[likelihood];
        manual_seed(3);
        using var model = new VariationalAutoencoder(options);
        if (model.Decoder.LogVariance is { } logVariance)
        {
            using var noGrad = no_grad();
            logVariance.copy_(linspace(-1, 1, options.InputSize)); // per-feature values, so a mix-up between features shows
        }
        // Before the kernels take the parameters' addresses: the optimizer moves every parameter into its flat buffer.
        using var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
        var x = Data(options.Likelihood);

        double[] libtorch;
        Tensor z;
        using (no_grad())
        {
            var output = model.Forward(x, new Generator(7));
            libtorch = TensorAssert.ToDoubles(ElboLoss.NegativeElboUnchecked(output, x, 1.0, Reduction.None).Reconstruction);
            z = output.Z.contiguous();
        }

        using var importanceWeighted = FusedLikelihood.TryCreate(model);
        if (LibtorchOnly.TryGetValue(options.Likelihood, out var closedForm))
        {
            importanceWeighted.Should().BeNull();
            using (var declined = FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients))
                declined.Should().BeNull();
            var logits = TensorAssert.ToDoubles(model.Decoder.forward(z).detach());
            var targets = TensorAssert.ToDoubles(x);
            for (var n = 0; n < Rows; n++)
            {
                var expected = Enumerable.Range(0, options.InputSize).Sum(d => closedForm(logits[n * options.InputSize + d], targets[n * options.InputSize + d]));
                libtorch[n].Should().BeApproximately(expected, 2e-5 * Math.Abs(expected) + 1e-4, $"row {n}");
            }
            return;
        }
        importanceWeighted.Should().NotBeNull();
        var fusedLikelihood = TensorAssert.ToDoubles(importanceWeighted!.LogLikelihood(z, x, threads: 2));

        using var step = FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients);
        step.Should().NotBeNull();
        var (_, stepReconstruction, _) = step!.Run(x, 1.0, new Generator(7), threads: 2);
        var (evaluated, _) = step.Evaluate(x, Rows, new Generator(7), threads: 2);

        for (var n = 0; n < Rows; n++)
            (-fusedLikelihood[n]).Should().BeApproximately(libtorch[n], 2e-5 * Math.Abs(libtorch[n]) + 1e-4, $"row {n}");
        var total = libtorch.Sum();
        ((double)stepReconstruction).Should().BeApproximately(total, 1e-5 * Math.Abs(total), "the fused step's loss");
        evaluated.Should().BeApproximately(total, 1e-5 * Math.Abs(total), "the fused step's evaluation");
    }

    // Data in the likelihood's range.
    private static Tensor Data(VaeLikelihood likelihood)
    {
        using var generator = new Generator(13);
        return likelihood switch
        {
            VaeLikelihood.Bernoulli => Binary(Rows, Small.InputSize, seed: 8),
            VaeLikelihood.ContinuousBernoulli => rand([Rows, Small.InputSize], generator: generator),
            VaeLikelihood.Gaussian => randn([Rows, Small.InputSize], generator: generator).mul_(2),
            _ => throw new ArgumentOutOfRangeException(nameof(likelihood), likelihood, "no test data for this likelihood"),
        };
    }
}
