using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Kernels;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// The fused step of the convolutional networks against autograd on the same weights, batch and noise: the loss terms
/// and every gradient (convolutions, transposed convolutions and the fully connected middle) to float rounding, for
/// image sizes and channel counts odd and even.
/// </summary>
public class FusedConvStepTests
{
    public static TheoryData<int, int, int, int[], int[], int, int, double> Shapes => new()
    {
        // channels, height, width, conv channels, hidden sizes, latent size, batch size, beta
        { 1, 28, 28, [32, 64], [400], 20, 128, 1.0 }, // the default model, a full batch
        { 1, 28, 28, [32, 64], [400], 20, 1, 1.0 },   // a single sample
        { 3, 7, 5, [4, 6], [16], 3, 19, 0.5 },        // odd sizes (7 -> 3 -> 1, 5 -> 2 -> 1), three channels
        { 2, 9, 11, [5], [], 2, 37, 2.0 },            // one convolution, no hidden layer
        { 1, 16, 16, [3, 8, 7], [12, 7], 4, 5, 1.0 }, // three convolutions, two hidden layers
        { 4, 6, 10, [9, 2], [10], 5, 33, 1.0 },       // a 1 x 2 map between the convolutions and the dense layers
    };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void LossAndGradientsMatchAutograd(int channels, int height, int width, int[] convChannels, int[] hidden, int latent, int batchSize, double beta)
    {
        using var scope = NewDisposeScope();
        var options = Options(channels, height, width, convChannels, hidden, latent);
        FusedMlpStepTests.CompareWithAutograd(options, Binary(batchSize, options.InputSize, seed: 5), beta);
    }

    [SkippableTheory]
    [InlineData(false, 0.5, 24)]
    [InlineData(true, 1.0, 37)]
    public void GaussianLossAndGradientsMatchAutograd(bool learnVariance, double variance, int batchSize)
    {
        using var scope = NewDisposeScope();
        var options = Options(3, 9, 6, [4, 5], [16], 3) with
        {
            Likelihood = VaeLikelihood.Gaussian, GaussianVariance = variance, LearnGaussianVariance = learnVariance,
        };
        using var generator = new Generator(13);
        FusedMlpStepTests.CompareWithAutograd(options, randn([batchSize, options.InputSize], generator: generator).mul_(2), beta: 1.0);
    }

    [SkippableFact]
    public void TheStepDoesNotDependOnTheThreadCount()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var model = new VariationalAutoencoder(Options(1, 28, 28, [32, 64], [400], 20));
        using var adam = new FlatAdam(model.parameters().ToArray(), 1e-3);
        using var fused = FusedConvStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients)!;
        fused.Should().NotBeNull();
        var batch = Binary(100, 784, seed: 3);

        using var first = new Generator(4);
        var one = fused.Run(batch, 1.0, first, threads: 1);
        var gradientsOne = adam.Gradients.clone();
        using var second = new Generator(4);
        var two = fused.Run(batch, 1.0, second, threads: 2);

        two.Should().Be(one);
        TensorAssert.Identical(adam.Gradients, gradientsOne).Should().BeTrue();
    }

    [Fact]
    public void TheTrainersValidationLossIsEvaluatesToFloatRounding()
    {
        using var scope = NewDisposeScope();
        var options = Options(1, 12, 10, [4, 8], [32], 3);
        var data = Binary(200, options.InputSize, seed: 31);
        var validation = Binary(300, options.InputSize, seed: 32);
        manual_seed(2);
        using var model = new VariationalAutoencoder(options);
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 48, Seed = 5, UseFusedConvolutionalStep = true });
        trainer.UsesFusedCpuKernels.Should().Be(Sgemm.IsSupported);
        var reported = trainer.Fit(data, validation).History[0].Validation!;

        var expected = model.Evaluate(validation, 1000, seed: 5);
        reported.Loss.Should().BeApproximately(expected.Loss, 1e-5 * expected.Loss);
        reported.Reconstruction.Should().BeApproximately(expected.Reconstruction, 1e-5 * expected.Reconstruction);
        reported.Kl.Should().BeApproximately(expected.Kl, 1e-4 * expected.Kl);
    }

    [SkippableFact]
    public void TrainingWithAndWithoutTheFusedStepFollowsTheSameCurve()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        using var scope = NewDisposeScope();
        var options = Options(1, 10, 10, [4, 8], [24], 3);
        var data = Binary(300, options.InputSize, seed: 9);
        var curves = new List<double[]>();
        foreach (var fused in new[] { true, false })
        {
            manual_seed(6);
            using var model = new VariationalAutoencoder(options);
            using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 4, BatchSize = 50, LearningRate = 3e-3, UseFusedCpuKernels = fused, UseFusedConvolutionalStep = true });
            trainer.UsesFusedCpuKernels.Should().Be(fused);
            curves.Add(trainer.Fit(data).History.Select(h => h.Train.Loss).ToArray());
        }
        curves[0].Should().Equal(curves[1], (a, b) => Math.Abs(a - b) <= 1e-3 * Math.Abs(b));
        curves[1][^1].Should().BeLessThan(curves[1][0]);
    }

    // The transposed convolutions' products a few output channels at a time (FusedConvStep.TrainingChannelGroup) sum
    // every element as one product does: training gives the same bits whatever the group.
    [SkippableFact]
    public void TheChannelGroupOfTheTransposedConvolutionsChangesNoBit()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        var saved = FusedConvStep.TrainingChannelGroup;
        var threads = VaeRuntime.CpuThreads;
        try
        {
            var options = Options(2, 12, 10, [5, 7], [16], 3);
            var data = Binary(200, options.InputSize, seed: 5);
            var weights = new List<float[]>();
            foreach (var group in new[] { int.MaxValue, 1, 3 })
            {
                FusedConvStep.TrainingChannelGroup = group;
                using var scope = NewDisposeScope();
                manual_seed(2);
                using var model = new VariationalAutoencoder(options);
                using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 32, Seed = 4, CpuThreads = 2 });
                trainer.UsesFusedCpuKernels.Should().BeTrue();
                trainer.Fit(data);
                weights.Add(model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray());
            }
            weights[1].Should().Equal(weights[0], "one output channel per product");
            weights[2].Should().Equal(weights[0], "three output channels per product, the last group partial");
        }
        finally
        {
            FusedConvStep.TrainingChannelGroup = saved;
            VaeRuntime.SetCpuThreads(threads);
        }
    }

    // The backward passes' im2col built a depth block at a time (FusedConvStep.BlockedBackward) feeds the products the
    // same values in the same order as the whole im2col, the convolutions' input gradients in groups of input channels
    // (ten: a group of eight and one of two) sum as one product does, and the wide dense layers' input gradients taken
    // as (dY^T W)^T (FusedConvStep.DenseInputGradientByRows; 72 and 70 outputs) add the same products in the same
    // order as W^T dY: training gives the same bits. Batches of 40 (48 padded columns) put block edges inside a
    // pixel's columns; the last batch of 10 leaves fewer columns than one block.
    [SkippableFact]
    public void TheBackwardPassesInCacheSizedPiecesChangeNoBit()
    {
        Skip.IfNot(Sgemm.IsSupported, "the processor has neither AVX-512 nor AVX2 with FMA");
        var (savedBlocked, savedRows) = (FusedConvStep.BlockedBackward, FusedConvStep.DenseInputGradientByRows);
        var threads = VaeRuntime.CpuThreads;
        try
        {
            var options = Options(2, 12, 10, [10, 12], [70], 3);
            var data = Binary(210, options.InputSize, seed: 8);
            var weights = new List<float[]>();
            foreach (var (blocked, byRows, cpuThreads) in new[] { (false, false, 2), (true, false, 2), (false, true, 2), (true, true, 2), (true, true, 1) })
            {
                (FusedConvStep.BlockedBackward, FusedConvStep.DenseInputGradientByRows) = (blocked, byRows);
                using var scope = NewDisposeScope();
                manual_seed(3);
                using var model = new VariationalAutoencoder(options);
                using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 40, Seed = 4, CpuThreads = cpuThreads });
                trainer.UsesFusedCpuKernels.Should().BeTrue();
                trainer.Fit(data);
                weights.Add(model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray());
            }
            weights[1].Should().Equal(weights[0], "the im2col in blocks");
            weights[2].Should().Equal(weights[0], "the dense input gradients by batch rows");
            weights[3].Should().Equal(weights[0], "both, on two threads");
            weights[4].Should().Equal(weights[0], "both, on one thread");
        }
        finally
        {
            (FusedConvStep.BlockedBackward, FusedConvStep.DenseInputGradientByRows) = (savedBlocked, savedRows);
            VaeRuntime.SetCpuThreads(threads);
        }
    }

    internal static VaeOptions Options(int channels, int height, int width, int[] convChannels, int[] hidden, int latent) => new()
    {
        Architecture = VaeArchitecture.Convolutional, ImageChannels = channels, ImageHeight = height, ImageWidth = width,
        InputSize = channels * height * width, ConvChannels = convChannels, HiddenSizes = hidden, LatentSize = latent,
    };
}
