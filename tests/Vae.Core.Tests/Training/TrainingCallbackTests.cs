using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>Callbacks at epoch end and after checkpoints, a stop they request, and the event ids of the trainer's log.</summary>
public sealed class TrainingCallbackTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-callback-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static VaeTrainerOptions Quick(int epochs) => new() { Epochs = epochs, BatchSize = 32, LearningRate = 3e-3, Seed = 5 };

    [Fact]
    public void ACallbackStopsTheRunWhichWritesItsCheckpointAndResumesLikeAnUninterruptedRun()
    {
        using var scope = NewDisposeScope();
        var data = Binary(150, 64, seed: 42);
        var validation = Binary(40, 64, seed: 43);
        using var straight = SmallModel();
        using (var trainer = new VaeTrainer(straight, Quick(5) with { RestoreBestWeights = false }))
            trainer.Fit(data, validation);

        var path = Path.Combine(directory, "run.ckpt");
        var recorder = new Recorder(stopAfterEpoch: 2);
        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, Quick(5) with { RestoreBestWeights = false, CheckpointPath = path, Callbacks = [recorder] }))
        {
            var result = trainer.Fit(data, validation);

            result.StoppedEarly.Should().BeTrue();
            result.StopReason.Should().Be("enough after epoch 2");
            result.History.Should().HaveCount(2);
        }
        recorder.Calls.Should().Equal("epoch 1", $"checkpoint {path}", "epoch 2", $"checkpoint {path}");

        using var resumed = VaeTrainer.Resume(path);
        resumed.CompletedEpochs.Should().Be(2);
        var history = resumed.Fit(data, validation).History;
        using var model2 = resumed.Model;
        history.Should().HaveCount(5);
        SameWeights(model2, Weights(straight)).Should().BeTrue();
    }

    // The trainer's own checkpoints are announced, the one written on cancellation too; the caller's own are not.
    [Fact]
    public void TheCheckpointOfACancelledRunIsAnnouncedAndTheCallersOwnIsNot()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(directory, "cancelled.ckpt");
        var recorder = new Recorder(stopAfterEpoch: int.MaxValue);
        using var cancellation = new CancellationTokenSource();
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Epoch == 2 && p.Batch == 1) cancellation.Cancel();
        });
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(3) with { CheckpointPath = path, CheckpointEveryEpochs = 5, Callbacks = [recorder] });

        FluentActions.Invoking(() => trainer.Fit(Binary(100, 64, seed: 1), null, progress, cancellation.Token)).Should().Throw<OperationCanceledException>();
        trainer.SaveCheckpoint(Path.Combine(directory, "own.ckpt"));

        recorder.Calls.Should().Equal("epoch 1", $"checkpoint {path}");
    }

    [Fact]
    public void EveryCallbackRunsAndTheFirstReasonIsKept()
    {
        using var scope = NewDisposeScope();
        var first = new Recorder(stopAfterEpoch: 1);
        var second = new Recorder(stopAfterEpoch: 1, reason: "second");
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(3) with { Callbacks = [first, second] });

        var result = trainer.Fit(Binary(64, 64, seed: 1));

        result.StopReason.Should().Be("enough after epoch 1");
        second.Calls.Should().Equal("epoch 1");
        second.LastContext!.StopRequested.Should().BeTrue();
        second.LastContext.Summary.Should().BeSameAs(second.LastContext.History[^1]);
        second.LastContext.Epochs.Should().Be(3);
        second.LastContext.GlobalStep.Should().Be(2);
    }

    // What a callback does with the model for inference (evaluation mode, samples from its own generator) leaves the
    // training as it would have been: a TensorBoard callback must not change the run it watches.
    [Fact]
    public void ACallbackThatRunsTheModelForInferenceLeavesTrainingUnchanged()
    {
        using var scope = NewDisposeScope();
        var data = Binary(150, 64, seed: 42);
        using var plain = SmallModel();
        using (var trainer = new VaeTrainer(plain, Quick(3)))
            trainer.Fit(data);

        var inference = new Inference();
        using var watched = SmallModel();
        using (var trainer = new VaeTrainer(watched, Quick(3) with { Callbacks = [inference] }))
            trainer.Fit(data);

        inference.Epochs.Should().Be(3);
        inference.TrainingModeAtEachEpochEnd.Should().Equal([true, true, true], "the trainer puts the model back in training mode");
        SameWeights(watched, Weights(plain)).Should().BeTrue();
    }

    [Fact]
    public void AnExceptionFromACallbackEndsFit()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(3) with { Callbacks = [new Throwing()] });

        FluentActions.Invoking(() => trainer.Fit(Binary(64, 64, seed: 1))).Should().Throw<InvalidOperationException>().WithMessage("from the callback");
        trainer.CompletedEpochs.Should().Be(1);
    }

    [Fact]
    public void EveryLogEventHasItsEventId()
    {
        using var scope = NewDisposeScope();
        var data = Binary(64, 64, seed: 1);
        // The complements of the training patterns: the better the model learns those, the worse it explains these, so
        // early stopping ends the first run after its second epoch.
        var validation = 1 - Binary(32, 64, seed: 1);
        var logger = new ListLogger();
        var path = Path.Combine(directory, "logged.ckpt");
        var options = Quick(4) with
        {
            CheckpointPath = path,
            EarlyStoppingPatience = 1,
            LearningRateSchedule = new StepLearningRateSchedule { StepEpochs = 1, Gamma = 0.5 },
            LearningRate = 0.01,
        };
        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, options, logger))
            trainer.Fit(data, validation);
        using (var resumed = VaeTrainer.Resume(path, o => o with { Epochs = 6, EarlyStoppingPatience = 0, Callbacks = [new Recorder(stopAfterEpoch: 0)] }, logger))
        {
            resumed.Fit(data, validation);
            resumed.Model.Dispose();
        }

        logger.Entries.Should().NotBeEmpty().And.OnlyContain(e => e.Id.Id != 0 && e.Id.Name != null);
        var expected = new[]
        {
            TrainingEvents.EpochCompleted, TrainingEvents.CheckpointWritten, TrainingEvents.ResumedFromCheckpoint,
            TrainingEvents.StoppedEarly, TrainingEvents.StoppedByCallback, TrainingEvents.LearningRateChanged,
        };
        logger.Entries.Select(e => e.Id).Distinct().Should().BeEquivalentTo(expected);
        typeof(TrainingEvents).GetFields().Select(f => (EventId)f.GetValue(null)!).Should().BeEquivalentTo(expected, "each id is one the trainer logs");
        expected.Select(e => e.Id).Should().OnlyHaveUniqueItems();
    }

    private sealed class Recorder(int stopAfterEpoch, string? reason = null) : ITrainingCallback
    {
        public List<string> Calls { get; } = [];

        public EpochContext? LastContext { get; private set; }

        public void OnEpochEnd(EpochContext context)
        {
            Calls.Add($"epoch {context.Summary.Epoch}");
            LastContext = context;
            if (context.Summary.Epoch >= stopAfterEpoch) context.RequestStop(reason ?? $"enough after epoch {context.Summary.Epoch}");
        }

        public void OnCheckpointSaved(string path) => Calls.Add($"checkpoint {path}");
    }

    private sealed class Inference : ITrainingCallback
    {
        public int Epochs { get; private set; }

        public List<bool> TrainingModeAtEachEpochEnd { get; } = [];

        public void OnEpochEnd(EpochContext context)
        {
            Epochs++;
            var model = context.Model!;
            TrainingModeAtEachEpochEnd.Add(model.training);
            model.eval();
            using var generator = new Generator(99);
            using var samples = model.Sample(4, generator);
            using var input = rand([3, 64]);
            using var reconstruction = model.Reconstruct(input);
        }

        public void OnCheckpointSaved(string path)
        {
        }
    }

    private sealed class Throwing : ITrainingCallback
    {
        public void OnEpochEnd(EpochContext context) => throw new InvalidOperationException("from the callback");
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, EventId Id, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, eventId, formatter(state, exception)));
    }
}
