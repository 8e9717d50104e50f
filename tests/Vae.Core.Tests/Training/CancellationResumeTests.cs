using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>A run cancelled at any batch and resumed from its checkpoint ends with the weights of an uninterrupted run.</summary>
public sealed class CancellationResumeTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-cancel-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [InlineData(1, 7, null)] // the last batch of the first epoch: the cancellation is seen as the second epoch starts
    [InlineData(2, 1, null)] // the first batch
    [InlineData(2, 4, null)] // a middle batch
    [InlineData(2, 7, null)] // the last batch
    [InlineData(2, 1, 0.9)] // with an average of the weights (VaeTrainerOptions.WeightAverageDecay), which the checkpoint holds
    [InlineData(2, 4, 0.9)]
    [InlineData(3, 6, 0.9)]
    public void CancellingAtAnyBatchResumesBitForBit(int epoch, int batch, double? averageDecay)
    {
        using var scope = NewDisposeScope();
        var data = Binary(200, 64, seed: 42); // 7 batches of 32, the last one partial
        var validation = Binary(64, 64, seed: 43);
        var options = new VaeTrainerOptions { Epochs = 3, BatchSize = 32, LearningRate = 3e-3, Seed = 5, KlWarmupEpochs = 2, WeightAverageDecay = averageDecay };

        using var straight = SmallModel();
        double[] straightLosses;
        using (var trainer = new VaeTrainer(straight, options))
            straightLosses = trainer.Fit(data, validation).History.Select(h => h.Validation!.Loss).ToArray();

        var path = Path.Combine(directory, "run.ckpt");
        using var cancellation = new CancellationTokenSource();
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Epoch == epoch && p.Batch == batch && p.CompletedEpoch is null) cancellation.Cancel();
        });
        using (var interrupted = SmallModel())
        using (var trainer = new VaeTrainer(interrupted, options with { CheckpointPath = path }))
        {
            var act = () => trainer.Fit(data, validation, progress, cancellation.Token);
            act.Should().Throw<OperationCanceledException>();
        }

        using var resumedTrainer = VaeTrainer.Resume(path);
        var history = resumedTrainer.Fit(data, validation).History;
        using var resumed = resumedTrainer.Model;
        history.Select(h => h.Validation!.Loss).Should().Equal(straightLosses);
        SameWeights(resumed, Weights(straight)).Should().BeTrue();
    }
}
