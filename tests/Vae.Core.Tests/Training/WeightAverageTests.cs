using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// <see cref="VaeTrainerOptions.WeightAverageDecay"/>: the average against its direct formula over the weights of every
/// step, what validation, the best weights and the callbacks see, and checkpoints that hold it.
/// </summary>
public sealed class WeightAverageTests : IDisposable
{
    private const double Decay = 0.8;
    private readonly string directory = Directory.CreateTempSubdirectory("vae-average-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    // One step per epoch (the batch holds every sample), so the weights after each epoch are those after each step.
    private static VaeTrainerOptions OneStepPerEpoch => new() { Epochs = 6, BatchSize = 200, LearningRate = 1e-2, Seed = 5 };

    [Fact]
    public void TheModelEndsWithTheExponentialAverageOfTheWeightsOfEveryStepAndTrainsAsWithoutIt()
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 42);
        var (steps, plainLosses) = WeightsAfterEveryStep(data, OneStepPerEpoch);
        var expected = DirectAverage(steps);

        using var averaged = SmallModel();
        var seen = new List<Dictionary<string, Tensor>>();
        TrainingResult result;
        using (var trainer = new VaeTrainer(averaged, OneStepPerEpoch with { WeightAverageDecay = Decay, Callbacks = [new Snapshots(seen)] }))
        {
            trainer.UsesFusedCpuKernels.Should().BeTrue("the fused step writes into the weights the average reads");
            result = trainer.Fit(data);
        }

        // The steps are those of the plain run: the optimizer steps the weights, never the average.
        result.History.Select(e => e.Train.Loss).Should().Equal(plainLosses);
        seen.Should().HaveCount(steps.Count - 1);
        for (var epoch = 1; epoch < steps.Count; epoch++)
            MaxDifference(seen[epoch - 1], expected[epoch]).Should().BeLessThan(1e-6, $"the callbacks see the average after epoch {epoch}");
        MaxDifference(Weights(averaged), expected[^1]).Should().BeLessThan(1e-6, "training ends with the average in the model");
        MaxDifference(Weights(averaged), steps[^1]).Should().BeGreaterThan(1e-4, "the average is not the last step's weights");
    }

    [Fact]
    public void ValidationAndTheBestWeightsAreTheAveragesOfTheirEpoch()
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 42);
        var validation = Binary(64, 64, seed: 43);
        var (steps, _) = WeightsAfterEveryStep(data, OneStepPerEpoch);
        var expected = DirectAverage(steps);

        using var averaged = SmallModel();
        TrainingResult result;
        using (var trainer = new VaeTrainer(averaged, OneStepPerEpoch with { WeightAverageDecay = Decay }))
            result = trainer.Fit(data, validation);

        // Each epoch's validation loss is that of the average then, recomputed here from the direct formula.
        for (var epoch = 1; epoch < steps.Count; epoch++)
        {
            using var probe = SmallModel();
            Load(probe, expected[epoch]);
            var loss = probe.Evaluate(validation, seed: OneStepPerEpoch.Seed).Loss;
            result.History[epoch - 1].Validation!.Loss.Should().BeApproximately(loss, 1e-4, $"epoch {epoch}");
        }
        MaxDifference(Weights(averaged), expected[result.BestEpoch]).Should().BeLessThan(1e-6, "the best epoch's average is kept");
    }

    [Fact]
    public void TheAutogradStepAveragesAsTheFusedStepDoes()
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 42);
        var options = OneStepPerEpoch with { UseFusedCpuKernels = false };
        var (steps, _) = WeightsAfterEveryStep(data, options);
        var expected = DirectAverage(steps);
        using var averaged = SmallModel();
        using (var trainer = new VaeTrainer(averaged, options with { WeightAverageDecay = Decay }))
        {
            trainer.UsesFusedCpuKernels.Should().BeFalse();
            trainer.Fit(data);
        }
        MaxDifference(Weights(averaged), expected[^1]).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void ACheckpointWithoutAnAverageResumedWithOneAveragesFromTheRestoredWeights()
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 42);
        var path = Path.Combine(directory, "plain.ckpt");
        var (steps, _) = WeightsAfterEveryStep(data, OneStepPerEpoch);
        using (var first = SmallModel())
        using (var trainer = new VaeTrainer(first, OneStepPerEpoch with { Epochs = 2, CheckpointPath = path }))
            trainer.Fit(data);

        using var resumedTrainer = VaeTrainer.Resume(path, o => o with { Epochs = 6, WeightAverageDecay = Decay });
        resumedTrainer.Fit(data);
        using var resumed = resumedTrainer.Model;

        // The average of steps 3-6 started from the weights after step 2.
        var expected = DirectAverage(steps.Skip(2).ToList());
        MaxDifference(Weights(resumed), expected[^1]).Should().BeLessThan(1e-6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ADecayOutsideZeroToOneIsNamed(double decay)
    {
        var act = () => new VaeTrainerOptions { WeightAverageDecay = decay }.Validate();
        act.Should().Throw<ArgumentException>().WithParameterName(nameof(VaeTrainerOptions.WeightAverageDecay))
            .WithMessage($"*WeightAverageDecay*{decay}*");
    }

    // The weights before the first step and after every step of a run without an average, and its training losses.
    private static (List<Dictionary<string, Tensor>> Steps, double[] Losses) WeightsAfterEveryStep(Tensor data, VaeTrainerOptions options)
    {
        using var model = SmallModel();
        var steps = new List<Dictionary<string, Tensor>> { Weights(model) };
        using var trainer = new VaeTrainer(model, options with { Callbacks = [new Snapshots(steps)] });
        var losses = trainer.Fit(data).History.Select(e => e.Train.Loss).ToArray();
        return (steps, losses);
    }

    // average_0 = weights_0; average_t = decay * average_(t-1) + (1 - decay) * weights_t, in float64.
    private static List<Dictionary<string, Tensor>> DirectAverage(IReadOnlyList<Dictionary<string, Tensor>> steps)
    {
        var averages = new List<Dictionary<string, Tensor>> { steps[0].ToDictionary(p => p.Key, p => p.Value.to_type(ScalarType.Float64).DetachFromDisposeScope()) };
        foreach (var weights in steps.Skip(1))
            averages.Add(averages[^1].ToDictionary(p => p.Key,
                p => (p.Value * Decay + weights[p.Key].to_type(ScalarType.Float64) * (1 - Decay)).DetachFromDisposeScope()));
        return averages;
    }

    private static double MaxDifference(Dictionary<string, Tensor> actual, Dictionary<string, Tensor> expected) =>
        actual.Max(p => (p.Value.to_type(ScalarType.Float64) - expected[p.Key]).abs().max().item<double>());

    private static void Load(nn.Module model, Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.state_dict()) tensor.copy_(weights[name]);
    }

    private sealed class Snapshots(List<Dictionary<string, Tensor>> snapshots) : ITrainingCallback
    {
        public void OnEpochEnd(EpochContext context) => snapshots.Add(Weights(context.Model!));
    }
}
