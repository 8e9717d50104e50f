using TorchSharp;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>The terms of one batch's loss, each a mean over the batch's users.</summary>
internal readonly record struct MultVaeStepLoss(double NegativeLogLikelihood, double Kl, double KlWeight, double Penalty)
{
    public double Loss => NegativeLogLikelihood + KlWeight * Kl + Penalty;
}

/// <summary>
/// Mult-VAE's training step on <see cref="VaeTrainer"/>: the catalogue-sized input and output layers by
/// <see cref="MultVaeLayers"/>, the small layers in between by autograd, the gradients of the batch's mean loss written
/// into the trainer's flat gradient buffer; the dropout masks and z's noise drawn from the trainer's noise generator
/// (so a resumed run draws what the uninterrupted one did); validation is NDCG@100 of the validation users.
/// </summary>
internal sealed class MultVaeStep : ITrainingStep
{
    private readonly MultVae _model;
    private readonly Generator _noise;
    private readonly double _l2;
    private readonly RankingOptions _ranking;
    private readonly bool[] _touched;
    private readonly List<int> _touchedItems = [];
    private Tensor? _scratch;

    public MultVaeStep(MultVae model, TrainingSetup setup, double l2Regularization, int evaluationBatchSize)
    {
        _model = model;
        _noise = setup.Noise;
        _l2 = l2Regularization;
        _ranking = new RankingOptions { NdcgCutoffs = [100], RecallCutoffs = [], BatchSize = evaluationBatchSize };
        _touched = new bool[model.ItemCount];
    }

    public int Threads { private get; set; } = 1;

    public StepResult Run(TrainingBatch batch, double beta)
    {
        // Every temporary, the index conversion's included, is held by this scope until the step ends.
        using var scope = NewDisposeScope();
        var clicks = Clicks(batch.Data);
        var users = batch.Rows is { } rows ? Users(rows) : Enumerable.Range(0, clicks.UserCount).ToArray();
        var selected = clicks.SelectRows(users);
        // Dropout keeps a click with probability 1 - p, as the reference's dropout on the normalised input does.
        var keep = new bool[selected.ClickCount];
        if (keep.Length > 0)
        {
            using var uniform = rand([keep.Length], dtype: ScalarType.Float64, generator: _noise);
            var draws = uniform.data<double>();
            for (var c = 0; c < keep.Length; c++) keep[c] = draws[c] >= _model.Options.InputDropout;
        }
        var weights = MultVaeLayers.InputWeights(selected, _model.Options.InputDropout, keep);
        var epsilon = randn([users.Length, _model.Options.LatentSize], generator: _noise);
        var terms = ComputeGradients(selected, weights, epsilon, beta, _l2);
        var count = users.Length;
        return new StepResult(count, terms.Loss * count, terms.NegativeLogLikelihood * count, terms.Kl * count);
    }

    public ValidationOutcome Validate(TrainingData validation, long seed)
    {
        var heldOut = validation as HeldOutUsers
            ?? throw new ArgumentException($"Mult-VAE validates on {nameof(HeldOutUsers)}, not on {validation.GetType().Name}.", nameof(validation));
        if (heldOut.FoldIn.ItemCount != _model.ItemCount)
            throw new ArgumentException($"The validation data has {heldOut.FoldIn.ItemCount} items but the model has {_model.ItemCount}.", nameof(validation));
        var ndcg = RecommendationEvaluator.Evaluate(_model, heldOut, _ranking).MeanNdcg(100);
        return new ValidationOutcome(-ndcg, null, new Dictionary<string, double> { [MultVaeTraining.ValidationMetric] = ndcg });
    }

    private ClickMatrix Clicks(TrainingData data)
    {
        var clicks = data as ClickMatrix
            ?? throw new ArgumentException($"Mult-VAE trains on a {nameof(ClickMatrix)} of users' clicks, not on {data.GetType().Name}.", nameof(data));
        if (clicks.ItemCount != _model.ItemCount)
            throw new ArgumentException($"The training data has {clicks.ItemCount} items but the model has {_model.ItemCount}.", nameof(data));
        return clicks;
    }

    private static int[] Users(Tensor rows)
    {
        var asInt = rows.to_type(ScalarType.Int32);
        var cpu = asInt.cpu();
        return cpu.data<int>().ToArray();
    }

    /// <summary>
    /// Fills every parameter's gradient with that of the batch's mean loss: multinomial negative log-likelihood,
    /// plus <paramref name="klWeight"/> times the KL divergence from the prior, plus <paramref name="l2"/> times the
    /// sum of squared weights.
    /// </summary>
    /// <param name="batch">The batch's clicks.</param>
    /// <param name="clickWeights">The input weight of every click (normalisation and dropout), from <see cref="MultVaeLayers.InputWeights"/>.</param>
    /// <param name="noise">The standard normal draws of z's reparameterisation, <c>[users, LatentSize]</c>; null uses the mean.</param>
    /// <param name="klWeight">The KL weight β of this step.</param>
    /// <param name="l2">The weight penalty's factor.</param>
    public unsafe MultVaeStepLoss ComputeGradients(ClickMatrix batch, float[] clickWeights, Tensor? noise, double klWeight, double l2)
    {
        var users = batch.UserCount;
        var threads = Math.Max(1, Threads);
        // Every tensor of the step, the gradients TorchSharp wraps anew at each `.grad`, belongs to this scope, which keeps
        // it alive until the step ends: a wrapper that nothing references can be finalized, and its native tensor freed,
        // in the middle of the libtorch call that uses it, when a collection runs on another thread.
        using var scope = NewDisposeScope();
        using var scalars = new ScalarScope();
        var inputGradient = _model.InputWeight.grad!;
        // The input weight's gradient is non-zero only in the rows of the items the previous batch clicked.
        var inputUnits = _model.InputUnits;
        var inputGradientRows = NativeTensor.Floats(inputGradient);
        foreach (var item in _touchedItems)
        {
            new Span<float>(inputGradientRows + (long)item * inputUnits, inputUnits).Clear();
            _touched[item] = false;
        }
        _touchedItems.Clear();
        using (no_grad())
        {
            foreach (var parameter in _model.MiddleParameters)
                parameter.grad!.zero_();
        }

        var first = _model.InputLayer(batch, clickWeights).requires_grad_(true);
        var (hidden, mean, logVariance) = _model.Middle(first, noise);
        var kl = logVariance.exp().sub(logVariance).add(mean.pow(Scalars.Two), Scalars.One).sub(Scalars.One).sum(1).mean().mul(Scalars.Half);
        var hiddenData = hidden.detach().contiguous();
        var units = _model.OutputUnits;
        var hiddenGradient = empty(users, units);
        var needed = (long)_model.ItemCount * MultVaeLayers.PaddedUsers(users);
        if (_scratch is null || _scratch.numel() < needed)
        {
            _scratch?.Dispose();
            _scratch = empty(needed).DetachFromDisposeScope();
        }
        var negativeLogLikelihood = MultVaeLayers.OutputForwardBackward(batch, NativeTensor.Floats(hiddenData), units,
            NativeTensor.Floats(_model.OutputWeight), NativeTensor.Floats(_model.OutputBias), NativeTensor.Floats(_scratch),
            NativeTensor.Floats(_model.OutputWeight.grad!), NativeTensor.Floats(_model.OutputBias.grad!), NativeTensor.Floats(hiddenGradient), threads);

        // The autograd part's gradient: d(loss)/d(hidden) enters through a surrogate whose gradient it is.
        var surrogate = hidden.mul(hiddenGradient).sum().add(kl.mul(scalars[klWeight]), Scalars.One);
        surrogate.backward();
        var firstGradient = first.grad!.contiguous();
        MultVaeLayers.InputBackward(batch, clickWeights, NativeTensor.Floats(firstGradient), _model.InputUnits,
            NativeTensor.Floats(inputGradient), NativeTensor.Floats(_model.InputBias.grad!));
        var items = batch.ItemIndices;
        for (var c = 0; c < items.Length; c++)
        {
            if (!_touched[items[c]])
            {
                _touched[items[c]] = true;
                _touchedItems.Add(items[c]);
            }
        }

        var penalty = 0.0;
        if (l2 > 0)
        {
            using var noGrad = no_grad();
            foreach (var weight in _model.Weights)
            {
                penalty += l2 * weight.pow(Scalars.Two).sum().item<float>();
                weight.grad!.add_(weight, alpha: scalars[2 * l2]);
            }
            // Every row of the input gradient may now be non-zero.
            for (var item = 0; item < _touched.Length; item++)
            {
                if (!_touched[item])
                {
                    _touched[item] = true;
                    _touchedItems.Add(item);
                }
            }
        }
        return new MultVaeStepLoss(users == 0 ? 0 : negativeLogLikelihood / users, kl.item<float>(), klWeight, penalty);
    }

    public void Dispose() => _scratch?.Dispose();
}
