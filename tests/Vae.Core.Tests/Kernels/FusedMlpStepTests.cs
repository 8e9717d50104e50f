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
/// The fused CPU step (hand-written forward and backward on the library's own matrix kernels) against autograd on
/// the same weights, batch and noise: the loss terms and every gradient must agree to float rounding.
/// </summary>
public class FusedMlpStepTests
{
    public static TheoryData<int, int[], int, int, double> Shapes => new()
    {
        // features, hidden sizes, latent size, batch size, beta
        { 784, [400], 20, 128, 1.0 },   // the default model, a full batch
        { 784, [400], 20, 64, 1.0 },    // the last batch of an 8,000-digit epoch
        { 64, [48, 30], 3, 37, 0.5 },   // two hidden layers, widths and a batch that are not multiples of 16
        { 21, [], 2, 5, 2.0 },          // no hidden layer at all
        { 40, [32], 4, 24, 1.0 },       // two threads split the batch at row 8, inside a 16-column group
        { 784, [400], 20, 1, 1.0 },     // a single sample
    };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void LossAndGradientsMatchAutograd(int features, int[] hidden, int latent, int batchSize, double beta)
    {
        using var scope = NewDisposeScope();
        CompareWithAutograd(new VaeOptions { InputSize = features, HiddenSizes = hidden, LatentSize = latent }, Binary(batchSize, features, seed: 5), beta);
    }

    [SkippableTheory]
    [InlineData(false, 0.5, 64)]
    [InlineData(true, 1.0, 64)]
    [InlineData(true, 1.0, 37)]
    public void GaussianLossAndGradientsMatchAutograd(bool learnVariance, double variance, int batchSize)
    {
        using var scope = NewDisposeScope();
        var options = new VaeOptions
        {
            InputSize = 12, HiddenSizes = [32], LatentSize = 3, Likelihood = VaeLikelihood.Gaussian,
            GaussianVariance = variance, LearnGaussianVariance = learnVariance,
        };
        using var generator = new Generator(13);
        CompareWithAutograd(options, randn([batchSize, 12], generator: generator).mul_(2), beta: 1.0);
    }

    // On a processor with AVX-512 every other test runs the AVX-512 tile of the matrix kernels; this one makes the step
    // take the AVX2 tile instead, as the benchmarks' --avx2 option does, so that both tiles are checked on such a machine.
    [SkippableTheory]
    [InlineData(VaeLikelihood.Bernoulli)]
    [InlineData(VaeLikelihood.Gaussian)]
    public void TheAvx2TileGivesAutogradsGradientsToo(VaeLikelihood likelihood)
    {
        Skip.IfNot(Avx512F.IsSupported, "without AVX-512 the other tests run the AVX2 tile already");
        using var scope = NewDisposeScope();
        var options = new VaeOptions { Likelihood = likelihood, LearnGaussianVariance = likelihood == VaeLikelihood.Gaussian };
        var batch = Binary(100, 784, seed: 5);
        var onAvx512 = CompareWithAutograd(options, batch, beta: 1.0);
        Sgemm.PreferAvx512 = false;
        try
        {
            var onAvx2 = CompareWithAutograd(options, batch, beta: 1.0);
            TensorAssert.Identical(onAvx2, onAvx512).Should().BeTrue("either tile sums each element over k in order with fused multiply-adds");
        }
        finally
        {
            Sgemm.PreferAvx512 = true;
        }
    }

    // One fused step and one autograd step on the same weights, batch and noise, with the loss the trainer takes under
    // trainerOptions: the loss terms and every gradient. Returns the fused step's gradients.
    internal static Tensor CompareWithAutograd(VaeOptions options, Tensor batch, double beta, VaeTrainerOptions? trainerOptions = null)
    {
        // Convolutional models too: their step is opt-in.
        trainerOptions = (trainerOptions ?? new VaeTrainerOptions()) with { UseFusedConvolutionalStep = true };
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        manual_seed(11);
        using var model = new VariationalAutoencoder(options);
        if (model.Decoder.LogVariance is { } logVariance)
        {
            using var noGrad = no_grad();
            logVariance.copy_(linspace(-1, 1, options.InputSize)); // per-feature values, so a mix-up between features shows
        }
        using var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
        using var fused = FusedSteps.TryCreate(model, trainerOptions, adam.Parameters, adam.Gradients);
        fused.Should().NotBeNull();

        using var fusedNoise = new Generator(7);
        var (loss, reconstruction, kl) = fused!.Run(batch, beta, fusedNoise, threads: 2);
        var fusedGradients = adam.Gradients.clone();

        adam.ZeroGrad();
        using var autogradNoise = new Generator(7);
        var terms = ElboLoss.NegativeElboUnchecked(model.Forward(batch, autogradNoise), batch, beta, nn.Reduction.Sum, trainerOptions.FreeBits);
        terms.Loss.backward();

        ((double)loss).Should().BeApproximately(terms.Loss.item<float>(), 1e-5 * Math.Abs(terms.Loss.item<float>()));
        ((double)reconstruction).Should().BeApproximately(terms.Reconstruction.item<float>(), 1e-5 * Math.Abs(terms.Reconstruction.item<float>()));
        ((double)kl).Should().BeApproximately(terms.Kl.item<float>(), 1e-4 * Math.Abs(terms.Kl.item<float>()) + 1e-4);

        // Each parameter's gradient on its own scale, so a small layer's error cannot hide behind a large one's.
        long offset = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            var count = parameter.numel();
            var expected = adam.Gradients.narrow(0, offset, count);
            var actual = fusedGradients.narrow(0, offset, count);
            var scale = expected.abs().max().item<float>() + 1e-6;
            var error = (actual - expected).abs().max().item<float>();
            ((double)error).Should().BeLessThan(2e-5 * scale + 1e-6, $"{name} (largest gradient {scale})");
            offset += count;
        }
        return fusedGradients;
    }

    [SkippableFact]
    public void TheStepDoesNotDependOnTheThreadCount()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var model = new VariationalAutoencoder();
        using var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
        using var fused = FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients)!;
        var batch = Binary(100, 784, seed: 3);

        using var first = new Generator(4);
        var one = fused.Run(batch, 1.0, first, threads: 1);
        var gradientsOne = adam.Gradients.clone();
        using var second = new Generator(4);
        var two = fused.Run(batch, 1.0, second, threads: 2);

        two.Should().Be(one);
        TensorAssert.Identical(adam.Gradients, gradientsOne).Should().BeTrue();
    }

    [SkippableFact]
    public void TwoStepsOnTwoThreadsAtOnceGiveWhatEachGivesAlone()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        var batch = Binary(128, 784, seed: 12);
        var models = new[] { 1, 2 }.Select(seed =>
        {
            manual_seed(seed);
            var model = new VariationalAutoencoder();
            var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
            return (model, adam, step: FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients)!);
        }).ToArray();
        try
        {
            Tensor Gradients(int which)
            {
                using var noise = new Generator(3);
                for (var i = 0; i < 5; i++) models[which].step.Run(batch, 1.0, noise, threads: 2);
                return models[which].adam.Gradients.clone().DetachFromDisposeScope();
            }

            using var aloneFirst = Gradients(0);
            using var aloneSecond = Gradients(1);
            // Both steps share the kernels' helper threads.
            var results = new Tensor[2];
            var threads = new[] { 0, 1 }.Select(which => new Thread(() => results[which] = Gradients(which))).ToArray();
            foreach (var thread in threads) thread.Start();
            foreach (var thread in threads) thread.Join();
            using var togetherFirst = results[0];
            using var togetherSecond = results[1];

            TensorAssert.Identical(togetherFirst, aloneFirst).Should().BeTrue();
            TensorAssert.Identical(togetherSecond, aloneSecond).Should().BeTrue();
        }
        finally
        {
            foreach (var (model, adam, step) in models)
            {
                step.Dispose();
                adam.Dispose();
                model.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(300)]  // validation in slices of the training batch, a partial last one
    [InlineData(2500)] // more than one batch of 1,000 noise draws
    public void TheTrainersValidationLossIsEvaluatesToFloatRounding(int validationSize)
    {
        using var scope = NewDisposeScope();
        var data = Binary(256, 64, seed: 31);
        var validation = Binary(validationSize, 64, seed: 32);
        using var model = SmallModel(seed: 2);
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 48, Seed = 5 });
        var reported = trainer.Fit(data, validation).History[0].Validation!;

        var expected = model.Evaluate(validation, 1000, seed: 5);
        reported.Loss.Should().BeApproximately(expected.Loss, 1e-5 * expected.Loss);
        reported.Reconstruction.Should().BeApproximately(expected.Reconstruction, 1e-5 * expected.Reconstruction);
        reported.Kl.Should().BeApproximately(expected.Kl, 1e-4 * expected.Kl);
    }

    [Fact]
    public void TheTrainerTakesTheFusedStepOnlyWhereItApplies()
    {
        using var mlp = SmallModel();
        using (var trainer = new VaeTrainer(mlp))
            trainer.UsesFusedCpuKernels.Should().Be(Sgemm.IsSupported);
        using (var trainer = new VaeTrainer(mlp, new VaeTrainerOptions { UseFusedCpuKernels = false }))
            trainer.UsesFusedCpuKernels.Should().BeFalse();
        using (var trainer = new VaeTrainer(mlp, new VaeTrainerOptions { FreeBits = 0.1 }))
            trainer.UsesFusedCpuKernels.Should().BeFalse();
        using var gaussian = new VariationalAutoencoder(new VaeOptions { InputSize = 8, HiddenSizes = [8], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true });
        using (var trainer = new VaeTrainer(gaussian))
            trainer.UsesFusedCpuKernels.Should().Be(Sgemm.IsSupported);
        using var convolutional = new VariationalAutoencoder(new VaeOptions { Architecture = VaeArchitecture.Convolutional, InputSize = 64, ImageHeight = 8, ImageWidth = 8, ConvChannels = [4] });
        using (var trainer = new VaeTrainer(convolutional))
            trainer.UsesFusedCpuKernels.Should().Be(Sgemm.IsSupported, "the convolutional networks train on their fused step by default");
        using (var trainer = new VaeTrainer(convolutional, new VaeTrainerOptions { UseFusedConvolutionalStep = false }))
            trainer.UsesFusedCpuKernels.Should().BeFalse("the convolutional step can be turned off on its own");
        using (var trainer = new VaeTrainer(convolutional, new VaeTrainerOptions { UseFusedCpuKernels = false }))
            trainer.UsesFusedCpuKernels.Should().BeFalse("turning the fused kernels off turns off the convolutional step too");
    }

    [SkippableFact]
    public void TrainingWithAndWithoutTheFusedStepFollowsTheSameCurve()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        var data = Binary(300, 64, seed: 9);
        var curves = new List<double[]>();
        foreach (var fused in new[] { true, false })
        {
            using var model = SmallModel(seed: 6);
            using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 4, BatchSize = 50, LearningRate = 3e-3, UseFusedCpuKernels = fused, KlWarmupEpochs = 1 });
            curves.Add(trainer.Fit(data).History.Select(h => h.Train.Loss).ToArray());
        }
        curves[0].Should().Equal(curves[1], (a, b) => Math.Abs(a - b) <= 1e-3 * Math.Abs(b));
        curves[1][^1].Should().BeLessThan(curves[1][0]);
    }
}
