using Vae.Core.Recommendation;
using Vae.Samples.Tests;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>Mult-VAE trained on <see cref="VaeTrainer"/>: checkpoints that resume bit for bit, callbacks, refusals.</summary>
public sealed class MultVaeCheckpointTests : IDisposable
{
    private static readonly MultVaeOptions Small = new() { HiddenSizes = [16], LatentSize = 4 };
    private readonly TempFolder temp = new();
    private readonly ImplicitFeedbackData data =
        SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 500, ItemCount = 80, TopicCount = 5, Seed = 2 }).Split();

    public void Dispose() => temp.Dispose();

    private MultVaeTrainerOptions Options(string? checkpoint = null) =>
        new() { Epochs = 5, BatchSize = 40, TotalAnnealSteps = 100, Seed = 7, CheckpointPath = checkpoint };

    [Fact]
    public void ARunResumedFromTheCheckpointOfAKilledRunEndsWithTheSameWeightsBitForBit()
    {
        using var uninterrupted = new MultVae(data.ItemIds, Small, seed: 1);
        var copied = temp.File("after-epoch-2.checkpoint");
        // What a killed process leaves behind: the checkpoint file as it was after epoch 2, nothing else.
        var copyAfterEpoch2 = new CopyCheckpoint(2, copied);
        var full = new MultVaeTrainer(Options(temp.File("run.checkpoint")) with { Callbacks = [copyAfterEpoch2] }).Train(uninterrupted, data);

        using var resumedModel = new MultVae(data.ItemIds, Small, seed: 99); // other initial weights: the checkpoint's must replace them
        var resumed = new MultVaeTrainer(Options(temp.File("resumed.checkpoint"))).Resume(resumedModel, data, copied);

        File.Exists(copied).Should().BeTrue();
        resumed.Epochs.Select(e => e.ValidationNdcg).Should().Equal(full.Epochs.Select(e => e.ValidationNdcg));
        resumed.BestEpoch.Should().Be(full.BestEpoch);
        foreach (var (name, weight) in uninterrupted.NamedParameters)
            TensorAssert.Identical(resumedModel.NamedParameters[name], weight).Should().BeTrue(name);
    }

    [Fact]
    public void ACancelledRunWritesItsCheckpointAndResumesBitForBit()
    {
        using var uninterrupted = new MultVae(data.ItemIds, Small, seed: 1);
        new MultVaeTrainer(Options()).Train(uninterrupted, data);

        var checkpoint = temp.File("cancelled.checkpoint");
        using var model = new MultVae(data.ItemIds, Small, seed: 1);
        using var cancel = new CancellationTokenSource();
        var act = () => new MultVaeTrainer(Options(checkpoint)).Train(model, data, new EpochCallback(e => { if (e.Epoch == 3) cancel.Cancel(); }), cancel.Token);
        act.Should().Throw<OperationCanceledException>();
        new MultVaeTrainer(Options(checkpoint)).Resume(model, data, checkpoint);

        foreach (var (name, weight) in uninterrupted.NamedParameters)
            TensorAssert.Identical(model.NamedParameters[name], weight).Should().BeTrue(name);
    }

    [Fact]
    public void TheTrainerReportsNdcgToCallbacksAndInTheHistory()
    {
        using var model = new MultVae(data.ItemIds, Small, seed: 1);
        var seen = new List<double>();
        var callback = new MetricRecorder(seen);
        var result = new MultVaeTrainer(Options() with { Callbacks = [callback] }).Train(model, data);

        seen.Should().HaveCount(5).And.Equal(result.Epochs.Select(e => e.ValidationNdcg!.Value));
        seen.Should().OnlyContain(ndcg => ndcg > 0 && ndcg <= 1);
        result.BestValidationNdcg.Should().Be(seen.Max());
    }

    [Fact]
    public void ACheckpointOfAnotherCatalogueIsRefusedNamingBothModels()
    {
        var checkpoint = temp.File("run.checkpoint");
        using (var model = new MultVae(data.ItemIds, Small, seed: 1))
            new MultVaeTrainer(Options(checkpoint) with { Epochs = 1 }).Train(model, data);
        using var other = new MultVae(data.ItemIds.Select(id => "x" + id).ToArray(), Small, seed: 1);

        var act = () => new MultVaeTrainer(Options()).Resume(other, data, checkpoint);

        act.Should().Throw<InvalidDataException>().WithMessage("*run.checkpoint*Mult-VAE*ids SHA-256*but this model is Mult-VAE*");
    }

    [Fact]
    public void ADamagedCheckpointIsRefusedWithItsName()
    {
        var checkpoint = temp.File("run.checkpoint");
        using var model = new MultVae(data.ItemIds, Small, seed: 1);
        new MultVaeTrainer(Options(checkpoint) with { Epochs = 1 }).Train(model, data);
        var bytes = File.ReadAllBytes(checkpoint);
        bytes[^10] ^= 0x40;
        File.WriteAllBytes(checkpoint, bytes);

        var act = () => new MultVaeTrainer(Options()).Resume(model, data, checkpoint);

        act.Should().Throw<InvalidDataException>().WithMessage("*run.checkpoint*");
    }

    [Fact]
    public void AVaeCheckpointIsNotResumedAsMultVaeNorTheOtherWayRound()
    {
        var checkpoint = temp.File("multvae.checkpoint");
        using (var model = new MultVae(data.ItemIds, Small, seed: 1))
            new MultVaeTrainer(Options(checkpoint) with { Epochs = 1 }).Train(model, data);

        var asVae = () => VaeTrainer.Resume(checkpoint);

        asVae.Should().Throw<InvalidOperationException>().WithMessage("*Mult-VAE*LoadCheckpoint*");
    }

    private sealed class CopyCheckpoint(int epoch, string copy) : ITrainingCallback
    {
        private int epochsEnded;

        public void OnEpochEnd(EpochContext context) => epochsEnded = context.Summary.Epoch;

        public void OnCheckpointSaved(string path)
        {
            if (epochsEnded == epoch) File.Copy(path, copy, overwrite: true);
        }
    }

    private sealed class MetricRecorder(List<double> seen) : ITrainingCallback
    {
        public void OnEpochEnd(EpochContext context)
        {
            context.Model.Should().BeNull("Mult-VAE is not a VariationalAutoencoder");
            context.TrainedModel.Architecture.Should().StartWith("Mult-VAE");
            seen.Add(context.Summary.ValidationMetrics!["ndcg@100"]);
        }
    }

    private sealed class EpochCallback(Action<MultVaeEpoch> report) : IProgress<MultVaeEpoch>
    {
        public void Report(MultVaeEpoch value) => report(value);
    }
}
