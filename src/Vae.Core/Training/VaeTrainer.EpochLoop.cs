using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

// The one epoch loop every model trains in: shuffling, learning rate, steps, validation, callbacks, checkpoints.
public sealed partial class VaeTrainer
{
    // The model trains in training mode and afterwards (or on an exception) gets back the modes the caller left it in.
    private TrainingResult Run(
        TrainingData? validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        int? batchesPerEpoch, Func<int, Tensor?, EpochBatches> batchesOf, long? sampleCount)
    {
        using var modes = trainable.EnterTrainingMode();
        return RunInTrainingMode(validation, progress, cancellationToken, batchesPerEpoch, batchesOf, sampleCount);
    }

    private TrainingResult RunInTrainingMode(
        TrainingData? validation, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        int? batchesPerEpoch, Func<int, Tensor?, EpochBatches> batchesOf, long? sampleCount)
    {
        var schedule = KlSchedule.For(options, batchesPerEpoch);
        if (options.LearningRateSchedule is { FollowsValidationLoss: true } plateauLike && validation is null)
            throw new ArgumentException(
                $"LearningRateSchedule is a {plateauLike.GetType().Name}, which follows the validation loss, but Fit was given no validation data.", nameof(validation));
        state = state with { BatchesPerEpoch = batchesPerEpoch ?? 0 };
        if (options.CpuThreads is { } threads) VaeRuntime.SetCpuThreads(threads);
        optimizer.Threads = step.Threads = Math.Max(1, VaeRuntime.CpuThreads);

        var clock = Stopwatch.StartNew();
        var stoppedEarly = false;
        string? stopReason = null;
        optimizer.AttachParameters(parameters);
        optimizer.AttachGradients(parameters);
        // A fresh run averages from the weights it starts with, even if they changed since the trainer was made.
        if (state.GlobalStep == 0) average?.Reset();
        for (var epoch = state.CompletedEpochs + 1; epoch <= options.Epochs && !stoppedEarly; epoch++)
        {
            using var epochScope = NewDisposeScope();
            StartShuffle(epoch);
            StartLearningRate(epoch);
            var phase = (step as IPhasedTrainingStep)?.BeginEpoch(epoch);
            if (phase is not null) optimizer.ActiveGroups = phase.UpdatedGroups;
            // Before the permutation is drawn, so that a checkpoint written here holds the generator of the epoch's start.
            StopIfCancelled(cancellationToken);
            var permutation = sampleCount is { } n ? randperm(n, generator: shuffleGenerator, device: shuffleGenerator.device).to(device) : null;
            var batches = batchesOf(epoch, permutation);
            var epochClock = Stopwatch.StartNew();
            var (trainedBatches, trainedSamples) = TrainEpoch(epoch, batches, schedule, progress, clock, epochClock, cancellationToken);
            epochClock.Stop();

            // Validation, the best weights and the callbacks see the average; the steps go on from the weights themselves.
            average?.Swap();
            EpochSummary summary;
            try
            {
                summary = FinishEpoch(epoch, phase?.Validate == false ? null : validation, schedule, trainedSamples / epochClock.Elapsed.TotalSeconds, epochClock.Elapsed);
                stopReason = StopReason(summary, validation);
            }
            finally
            {
                average?.Swap();
            }
            stoppedEarly = stopReason is not null;
            if (options.CheckpointPath is { } checkpointPath && (epoch % options.CheckpointEveryEpochs == 0 || epoch == options.Epochs || stoppedEarly))
                WriteCheckpoint(checkpointPath);
            progress?.Report(new TrainingProgress(
                epoch, options.Epochs, trainedBatches, batches.Count, summary.Train.Loss, summary.Train.Reconstruction, summary.Train.Kl,
                summary.ImagesPerSecond, clock.Elapsed, summary) { Beta = summary.Beta });
        }

        var restoredBest = validation is not null && options.RestoreBestWeights && best.RestoreInto(trainable);
        if (!restoredBest) average?.CopyIntoWeights();
        var bestEpoch = history.Count == 0 ? 0
            : history.Where(h => h.ObjectiveOrLoss is not null).DefaultIfEmpty(history[^1]).MinBy(h => h.ObjectiveOrLoss ?? 0)!.Epoch;
        return new TrainingResult(history.ToArray(), bestEpoch, stoppedEarly, clock.Elapsed) { StopReason = stopReason };
    }

    // The batches of one epoch from where the state stands; returns the epoch's batch count and the samples trained now.
    private (int Batches, long Samples) TrainEpoch(
        int epoch, EpochBatches batches, KlSchedule schedule, IProgress<TrainingProgress>? progress, Stopwatch clock, Stopwatch epochClock,
        CancellationToken cancellationToken)
    {
        var trainedSamples = 0L;
        var batch = 0;
        using var enumerator = batches.Batches.GetEnumerator();
        while (true)
        {
            // Around MoveNext too: what the source creates for this batch is disposed with the step.
            using var stepScope = NewDisposeScope();
            if (!enumerator.MoveNext()) break;
            batch++;
            if (batch <= state.BatchInEpoch) continue; // resumed mid-epoch: these were trained before the checkpoint
            StopIfCancelled(cancellationToken);

            var beta = schedule.At(state.GlobalStep);
            var result = TrainStep(enumerator.Current, beta, epoch, batch);
            trainedSamples += result.Samples;
            state = state with { BatchInEpoch = batch, GlobalStep = state.GlobalStep + 1, Sums = state.Sums.Add(result) };
            if (state.GlobalStep % StepsBetweenCollections == 0) GC.Collect();
            progress?.Report(new TrainingProgress(
                epoch, options.Epochs, batch, batches.Count, result.Loss / result.Samples, result.Reconstruction / result.Samples,
                result.Kl / result.Samples, trainedSamples / epochClock.Elapsed.TotalSeconds, clock.Elapsed, null) { Beta = beta });
        }
        if (batch == 0) throw new ArgumentException($"The batch source gave no batches for epoch {epoch}.", "batchesForEpoch");
        return (batch, trainedSamples);
    }

    // Every epoch shuffles with the generator as it stood when that epoch first began, however often it is resumed.
    private void StartShuffle(int epoch)
    {
        // A mid-epoch checkpoint written before the epoch of the state was recorded has only BatchInEpoch to go by.
        if (state.ShuffleStateAtEpochStart is { } saved && (state.ShuffleStateEpoch == epoch || state.BatchInEpoch > 0))
            GeneratorState.Restore(shuffleGenerator, saved);
        else
            state = state with { ShuffleStateAtEpochStart = GeneratorState.Save(shuffleGenerator), ShuffleStateEpoch = epoch, Sums = default };
    }

    // The rate of this epoch: from the schedule's formula, or as a plateau schedule left it at the end of the last one.
    private void StartLearningRate(int epoch)
    {
        var learningRate = options.LearningRateSchedule?.StartOfEpoch(options.LearningRate, epoch, options.Epochs, state.LearningRate) ?? options.LearningRate;
        if (history.Count > 0 && history[^1].LearningRate != learningRate && state.BatchInEpoch == 0)
            logger.LogInformation(TrainingEvents.LearningRateChanged, "Learning rate {Previous:G4} -> {LearningRate:G4} from epoch {Epoch}",
                history[^1].LearningRate, learningRate, epoch);
        optimizer.LearningRate = learningRate;
        state = state with { LearningRate = learningRate };
    }

    // Early stopping first, then the callbacks (all of them run, the first reason is kept); null to go on.
    private string? StopReason(EpochSummary summary, TrainingData? validation)
    {
        string? reason = null;
        if (options.EarlyStoppingPatience > 0 && best.EpochsWithoutImprovement >= options.EarlyStoppingPatience)
        {
            reason = $"the validation {(summary.Validation is null ? "figure" : "loss")} has not improved for {best.EpochsWithoutImprovement} epochs (EarlyStoppingPatience {options.EarlyStoppingPatience})";
            logger.LogInformation(TrainingEvents.StoppedEarly, "Stopping early after epoch {Epoch}: {Reason}", summary.Epoch, reason);
        }
        if (options.Callbacks.Count == 0) return reason;
        var context = new EpochContext(trainable, summary, history.AsReadOnly(), options.Epochs, state.GlobalStep, (validation as TensorData)?.Tensor);
        foreach (var callback in options.Callbacks) callback.OnEpochEnd(context);
        BackToTrainingMode(); // a callback that ran the model for inference may have left it in evaluation mode
        if (reason is null && context.StopReason is { } requested)
        {
            reason = requested;
            logger.LogInformation(TrainingEvents.StoppedByCallback, "Stopping after epoch {Epoch} at a callback's request: {Reason}", summary.Epoch, reason);
        }
        return reason;
    }

    // A checkpoint the trainer writes on its own, announced to the callbacks.
    private void WriteCheckpoint(string path)
    {
        SaveCheckpoint(path);
        foreach (var callback in options.Callbacks) callback.OnCheckpointSaved(path);
    }

    private void StopIfCancelled(CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested) return;
        if (options.CheckpointPath is { } path) WriteCheckpoint(path);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private StepResult TrainStep(TrainingBatch batch, double beta, int epoch, int batchIndex)
    {
        var result = step.Run(batch, beta);
        if (!double.IsFinite(result.Loss) || !double.IsFinite(result.Reconstruction) || !double.IsFinite(result.Kl))
            throw new TrainingDivergedException(epoch, batchIndex, $"the loss is {result.Loss} (reconstruction {result.Reconstruction}, KL {result.Kl})");
        // A step of the seam may leave the check (and the clipping) to the trainer.
        var gradientCheck = result.GradientCheck
            ?? (options.MaxGradientNorm is { } maxNorm ? ClippedNorm(maxNorm) : optimizer.SumOfGradients());
        if (!double.IsFinite(gradientCheck))
            throw new TrainingDivergedException(epoch, batchIndex, "a gradient is NaN or infinite");
        optimizer.Step();
        average?.Update();
        return result;
    }

    private EpochSummary FinishEpoch(int epoch, TrainingData? validation, KlSchedule schedule, double imagesPerSecond, TimeSpan duration)
    {
        var sums = state.Sums;
        var train = new ElboMetrics(sums.Loss / sums.Samples, sums.Reconstruction / sums.Samples, sums.Kl / sums.Samples);
        ValidationOutcome? validated = null;
        var isBest = false;
        if (validation is not null)
        {
            validated = step.Validate(validation, options.Seed);
            BackToTrainingMode();
            isBest = best.Offer(trainable, validated.Objective);
            if (options.LearningRateSchedule is { } learningRateSchedule)
                state = learningRateSchedule.AfterValidation(state, optimizer.LearningRate, validated.Objective);
        }
        state = state with { CompletedEpochs = epoch, BatchInEpoch = 0, Sums = default };
        var summary = new EpochSummary(epoch, train, validated?.Elbo, schedule.At(state.GlobalStep - 1), imagesPerSecond, duration, isBest,
            DisposeScopeManager.Statistics.ThreadTotalLiveCount)
        {
            LearningRate = optimizer.LearningRate,
            ValidationObjective = validated?.Objective,
            ValidationMetrics = validated is { Metrics.Count: > 0 } ? validated.Metrics : null,
        };
        history.Add(summary);
        logger.LogInformation(TrainingEvents.EpochCompleted,
            "Epoch {Epoch}/{Epochs}: train {Train:F2} nats, validation {Validation}, {Rate:F0} samples/s",
            epoch, options.Epochs, train.Loss, Describe(validated), imagesPerSecond);
        return summary;
    }

    private static string Describe(ValidationOutcome? validated) => validated switch
    {
        null => "-",
        { Elbo: { } elbo } => $"{elbo.Loss:F2} nats",
        _ => string.Join(", ", validated.Metrics.Select(m => $"{m.Key} {m.Value:F4}").DefaultIfEmpty($"{validated.Objective:F4}")),
    };

    private float ClippedNorm(double maxNorm)
    {
        using var norm = optimizer.ClipGradientNorm(maxNorm);
        return norm.item<float>();
    }

    // Validation and callbacks may leave the model in evaluation mode; the modes of the caller come back when Run ends
    // (from its first switch), so the token of this one is not needed.
    private void BackToTrainingMode() => _ = trainable.EnterTrainingMode();
}
