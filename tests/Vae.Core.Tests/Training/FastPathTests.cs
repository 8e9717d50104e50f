using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// The trainer's step (parameters and gradients in one flat buffer, its own Adam, loss on logits) against the plain
/// formulation: TorchSharp's Adam and PyTorch's binary cross-entropy on probabilities, on the same batches and noise.
/// </summary>
public class FastPathTests
{
    // float64 takes the autograd step and the optimizer's libtorch update (the one GPUs use).
    [Theory]
    [InlineData(null, ScalarType.Float32)]
    [InlineData(5.0, ScalarType.Float32)]
    [InlineData(null, ScalarType.Float64)]
    [InlineData(5.0, ScalarType.Float64)]
    public void TheTrainerGivesTheSameLossesAndWeightsAsThePlainLoop(double? maxGradientNorm, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = Binary(96, 64, seed: 21).to_type(dtype);
        const int batchSize = 32;
        const int epochs = 3;

        using var fast = SmallModel(seed: 4);
        fast.to(dtype);
        var fastLosses = new List<double>();
        using (var trainer = new VaeTrainer(fast, new VaeTrainerOptions { Epochs = epochs, BatchSize = batchSize, LearningRate = 1e-2, Seed = 8, MaxGradientNorm = maxGradientNorm }))
        {
            trainer.Fit(data, null, new SyncProgress<TrainingProgress>(p =>
            {
                if (p.CompletedEpoch is null) fastLosses.Add(p.Loss);
            }));
        }

        // The same draws as the trainer: shuffling from a generator seeded with Seed, noise from Seed + 1.
        using var plain = SmallModel(seed: 4);
        plain.to(dtype);
        var parameters = plain.parameters().ToArray();
        using var adam = optim.Adam(parameters, lr: 1e-2);
        using var shuffle = new Generator(8);
        using var noise = new Generator(9);
        var plainLosses = new List<double>();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            using var permutation = randperm(96, generator: shuffle);
            for (var start = 0; start < 96; start += batchSize)
            {
                using var step = NewDisposeScope();
                var batch = data.index_select(0, permutation.narrow(0, start, batchSize));
                adam.zero_grad();
                var output = plain.Forward(batch, noise);
                var loss = nn.functional.binary_cross_entropy(output.DecoderOutput.sigmoid(), batch, reduction: nn.Reduction.Sum)
                           + 0.5 * (output.Mean.square() + output.LogVariance.exp() - output.LogVariance - 1).sum();
                loss.backward();
                if (maxGradientNorm is { } norm) nn.utils.clip_grad_norm_(parameters, norm);
                adam.step();
                plainLosses.Add(loss.to_type(ScalarType.Float64).item<double>() / batchSize);
            }
        }

        fast.parameters().Should().OnlyContain(p => p.dtype == dtype);
        fastLosses.Should().HaveCount(plainLosses.Count);
        for (var i = 0; i < plainLosses.Count; i++)
            fastLosses[i].Should().BeApproximately(plainLosses[i], 1e-3 * Math.Abs(plainLosses[i]), $"step {i + 1}");
        var plainWeights = Weights(plain);
        foreach (var (name, tensor) in fast.state_dict())
            tensor.allclose(plainWeights[name], rtol: 1e-3, atol: 1e-5).Should().BeTrue(name);
    }

    [Fact]
    public void ParametersStayTheModelsOwnAfterTraining()
    {
        using var scope = NewDisposeScope();
        var data = Binary(64, 64, seed: 22);
        using var model = SmallModel();
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 32 }))
            trainer.Fit(data);

        // The trainer is gone: the model still trains with any optimizer, and its gradients are its own.
        using var adam = optim.Adam(model.parameters(), lr: 1e-3);
        var before = Weights(model);
        adam.zero_grad();
        model.NegativeElbo(data).Loss.backward();
        adam.step();
        SameWeights(model, before).Should().BeFalse();
        model.parameters().All(p => p.grad is { } grad && grad.isfinite().all().item<bool>()).Should().BeTrue();
    }

    [Fact]
    public void AnOlderTrainerOfTheSameModelStillTrainsIt()
    {
        using var scope = NewDisposeScope();
        var data = Binary(64, 64, seed: 23);
        var options = new VaeTrainerOptions { Epochs = 2, BatchSize = 32 };

        using var alone = SmallModel(seed: 3);
        using (var trainer = new VaeTrainer(alone, options))
            trainer.Fit(data);

        // A second trainer takes the model's parameters into its own buffers; the first must take them back when it trains.
        using var shared = SmallModel(seed: 3);
        using var first = new VaeTrainer(shared, options);
        using var second = new VaeTrainer(shared, options);
        first.Fit(data);

        foreach (var (name, weight) in Weights(alone))
            TensorAssert.Identical(shared.state_dict()[name], weight).Should().BeTrue(name);
    }
}
