using System.Diagnostics;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// Trains a <see cref="MultVae"/> as the reference code does: users shuffled every epoch, batches of 500, dropout on
/// the normalised input, a sampled z, the KL weight annealed per step, Adam; after every epoch NDCG@100 on the
/// validation users, and at the end the weights of the best epoch.
/// </summary>
public sealed class MultVaeTrainer
{
    /// <summary>Creates a trainer.</summary>
    /// <param name="options">How to train; the reference's settings by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public MultVaeTrainer(MultVaeTrainerOptions? options = null)
    {
        Options = options ?? new MultVaeTrainerOptions();
        Options.Check();
    }

    /// <summary>The options.</summary>
    public MultVaeTrainerOptions Options { get; }

    /// <summary>Trains on the training users of <paramref name="data"/>, validating on its validation users.</summary>
    /// <inheritdoc cref="Train(MultVae, ClickMatrix, HeldOutUsers?, IProgress{MultVaeEpoch}?, CancellationToken)"/>
    public MultVaeTrainingResult Train(MultVae model, ImplicitFeedbackData data, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Train(model, data.Train, data.Validation.UserCount > 0 ? data.Validation : null, progress, cancellationToken);
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place. With validation users, the model ends with the weights of the epoch
    /// with the best validation NDCG@100; without, with those of the last epoch.
    /// </summary>
    /// <param name="model">The model; its item count must match the data's.</param>
    /// <param name="train">The training users' clicks.</param>
    /// <param name="validation">Users to choose the best epoch on (and to stop early on, with <see cref="MultVaeTrainerOptions.Patience"/>); null to keep the last epoch.</param>
    /// <param name="progress">Told after every epoch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">The item counts differ, or there are no training users.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the model holds the best weights so far (or those of the last step before any validation).</exception>
    /// <exception cref="TrainingDivergedException">A loss or gradient was not finite; the model holds the best weights so far.</exception>
    public MultVaeTrainingResult Train(MultVae model, ClickMatrix train, HeldOutUsers? validation, IProgress<MultVaeEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount != model.ItemCount)
            throw new ArgumentException($"The training data has {train.ItemCount} items but the model has {model.ItemCount}.", nameof(train));
        if (validation is not null && validation.FoldIn.ItemCount != model.ItemCount)
            throw new ArgumentException($"The validation data has {validation.FoldIn.ItemCount} items but the model has {model.ItemCount}.", nameof(validation));
        if (train.UserCount == 0)
            throw new ArgumentException("There are no training users.", nameof(train));

        var options = Options;
        var shuffle = new Random(options.Seed);
        var dropout = new Random(unchecked(options.Seed + 1));
        using var noise = new Generator((ulong)(uint)options.Seed);
        using var step = new MultVaeStep(model, options.LearningRate);
        var order = Enumerable.Range(0, train.UserCount).ToArray();
        var epochs = new List<MultVaeEpoch>();
        Tensor? best = null;
        var (bestEpoch, bestNdcg, stale, stoppedEarly) = (0, (double?)null, 0, false);
        var (trainedUsers, trainingSeconds) = (0L, 0.0);
        var ranking = new RankingOptions { NdcgCutoffs = [100], RecallCutoffs = [], BatchSize = options.EvaluationBatchSize };
        try
        {
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                for (var i = order.Length - 1; i > 0; i--)
                {
                    var j = shuffle.Next(i + 1);
                    (order[i], order[j]) = (order[j], order[i]);
                }
                var clock = Stopwatch.StartNew();
                var (nll, kl, loss, klWeight) = (0.0, 0.0, 0.0, 0.0);
                var batchNumber = 0;
                for (var start = 0; start < order.Length; start += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    batchNumber++;
                    var count = Math.Min(options.BatchSize, order.Length - start);
                    var batch = train.SelectRows(order.AsSpan(start, count));
                    var keep = new bool[batch.ClickCount];
                    for (var c = 0; c < keep.Length; c++)
                        keep[c] = dropout.NextDouble() >= model.Options.InputDropout;
                    var weights = MultVaeLayers.InputWeights(batch, model.Options.InputDropout, keep);
                    klWeight = options.AnnealAt(step.Steps);
                    MultVaeStepLoss terms;
                    using (var epsilon = randn([count, model.Options.LatentSize], generator: noise))
                        terms = step.ComputeGradients(batch, weights, epsilon, klWeight, options.L2Regularization);
                    if (!double.IsFinite(terms.Loss) || !step.GradientsAreFinite())
                        throw new TrainingDivergedException(epoch, batchNumber, double.IsFinite(terms.Loss) ? "a gradient is not finite" : $"the loss is {terms.Loss}");
                    step.Update();
                    nll += terms.NegativeLogLikelihood * count;
                    kl += terms.Kl * count;
                    loss += terms.Loss * count;
                }
                clock.Stop();
                trainedUsers += order.Length;
                trainingSeconds += clock.Elapsed.TotalSeconds;

                double? ndcg = null;
                var isBest = false;
                if (validation is not null)
                {
                    ndcg = RecommendationEvaluator.Evaluate(model, validation, ranking).MeanNdcg(100);
                    if (bestNdcg is null || ndcg > bestNdcg)
                    {
                        (bestNdcg, bestEpoch, stale, isBest) = (ndcg, epoch, 0, true);
                        using var noGrad = no_grad();
                        if (best is null)
                            best = step.Optimizer.Parameters.clone();
                        else
                            best.copy_(step.Optimizer.Parameters);
                    }
                    else
                        stale++;
                }
                else
                    (bestEpoch, isBest) = (epoch, true);
                var entry = new MultVaeEpoch(epoch, loss / order.Length, nll / order.Length, kl / order.Length, klWeight, ndcg, isBest,
                    clock.Elapsed.TotalSeconds, order.Length / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
                epochs.Add(entry);
                progress?.Report(entry);
                if (options.Patience is { } patience && stale >= patience && epoch < options.Epochs)
                {
                    stoppedEarly = true;
                    break;
                }
            }
        }
        finally
        {
            if (best is not null)
            {
                using (no_grad())
                    step.Optimizer.Parameters.copy_(best);
                best.Dispose();
            }
        }
        return new MultVaeTrainingResult(epochs, bestEpoch, bestNdcg, stoppedEarly, trainedUsers / Math.Max(trainingSeconds, 1e-9));
    }
}
