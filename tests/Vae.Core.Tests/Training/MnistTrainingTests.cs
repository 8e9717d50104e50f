using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Xunit;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>Training the default model on the 10,000 real MNIST digits shipped in the repository.</summary>
public class MnistTrainingTests
{
    // Reference: pytorch/examples vae/main.py as of commit 387ce7be (2022-11-29; the later commits on main change only
    // the choice of device), on PyTorch 2.6: the same 784-400-20 model, seed 1, batch 128, Adam 1e-3,
    // trained on these 8,000 digits and evaluated on these 2,000: 204.5 nats per test image after epoch 1, 155.0 after 3,
    // 121.9 after 10. The runs differ in their random draws, so agreement is statistical: within 1%. One run of ten
    // epochs also answers for the first three, which a three-epoch run with the same seed and options would repeat.
    [Fact]
    public void LossDecreasesAndTenEpochsReachThePyTorchReferenceTestLossWithinOnePercent()
    {
        using var train = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Train);
        using var test = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);
        manual_seed(1);
        using var model = new VariationalAutoencoder();
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 10, Seed = 1, BatchSize = 128, LearningRate = 1e-3 });

        var history = trainer.Fit(train.Images, test.Images).History;

        history.Select(h => h.Train.Loss).Should().BeInDescendingOrder();
        history.Select(h => h.Validation!.Loss).Should().BeInDescendingOrder();
        history[0].Validation!.Loss.Should().BeApproximately(204.5, 204.5 * 0.02);
        history[2].Validation!.Loss.Should().BeApproximately(155.0, 155.0 * 0.02);
        history[9].Validation!.Loss.Should().BeApproximately(121.9, 121.9 * 0.01);
    }
}
