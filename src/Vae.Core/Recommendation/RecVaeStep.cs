using TorchSharp;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// RecVAE's alternating training step on <see cref="VaeTrainer"/> (run.py of github.com/ilya-shenbin/RecVAE): each
/// RecVAE epoch is <see cref="RecVaeTrainerOptions.EncoderPasses"/> trainer epochs that update only the encoder (its
/// own Adam state, input dropout), then the prior's frozen encoder is refreshed, then
/// <see cref="RecVaeTrainerOptions.DecoderPasses"/> trainer epochs that update only the decoder (its own Adam state, no
/// dropout), and validation (NDCG@100) follows the last of them. The loss of every pass is the reference's: the mean
/// multinomial negative log-likelihood plus the mean over users of gamma x clicks x (log q(z|x) - log p(z)), z sampled;
/// gamma is the trainer's KL weight. With <see cref="RecVaeTrainerOptions.PredictDroppedClicks"/> an encoder pass's
/// likelihood is that of the clicks its dropout removed. The catalogue-sized layers run by <see cref="MultVaeLayers"/>, the rest by autograd.
/// </summary>
internal sealed class RecVaeStep : IPhasedTrainingStep
{
    private static readonly int[] EncoderGroup = [0];
    private static readonly int[] DecoderGroup = [1];

    private readonly RecVae _model;
    private readonly Generator _noise;
    private readonly int _encoderPasses;
    private readonly int _decoderPasses;
    private readonly bool _predictDroppedClicks;
    private readonly RankingOptions _ranking;
    private readonly bool[] _touched;
    private readonly List<int> _touchedItems = [];
    private Tensor? _scratch;
    private bool _encoderPhase = true;

    public RecVaeStep(RecVae model, TrainingSetup setup, RecVaeTrainerOptions options)
    {
        _model = model;
        _noise = setup.Noise;
        _encoderPasses = options.EncoderPasses;
        _decoderPasses = options.DecoderPasses;
        _predictDroppedClicks = options.PredictDroppedClicks;
        _ranking = new RankingOptions { NdcgCutoffs = [100], RecallCutoffs = [], BatchSize = options.EvaluationBatchSize };
        _touched = new bool[model.ItemCount];
    }

    public int Threads { private get; set; } = 1;

    public IReadOnlyList<int> ParameterGroupSizes => [RecVae.EncoderTensorCount, 2];

    public TrainingPhase BeginEpoch(int epoch)
    {
        var position = (epoch - 1) % (_encoderPasses + _decoderPasses);
        _encoderPhase = position < _encoderPasses;
        if (_encoderPhase) return new TrainingPhase(EncoderGroup, Validate: false);
        // After the encoder passes, before the decoder's (run.py: model.update_prior()); repeating it on a resume copies
        // the same weights, since decoder passes leave the encoder as it is.
        if (position == _encoderPasses) _model.RefreshPrior();
        return new TrainingPhase(DecoderGroup, Validate: position == _encoderPasses + _decoderPasses - 1);
    }

    public StepResult Run(TrainingBatch batch, double beta)
    {
        using var scope = NewDisposeScope();
        var clicks = batch.Data as ClickMatrix
            ?? throw new ArgumentException($"RecVAE trains on a {nameof(ClickMatrix)} of users' clicks, not on {batch.Data.GetType().Name}.", nameof(batch));
        if (clicks.ItemCount != _model.ItemCount)
            throw new ArgumentException($"The training data has {clicks.ItemCount} items but the model has {_model.ItemCount}.", nameof(batch));
        int[] users;
        if (batch.Rows is { } rows)
        {
            using var cpu = rows.to_type(ScalarType.Int32).cpu();
            users = cpu.data<int>().ToArray();
        }
        else users = Enumerable.Range(0, clicks.UserCount).ToArray();
        var selected = clicks.SelectRows(users);
        var dropout = _encoderPhase ? _model.Options.InputDropout : 0;
        var targets = selected;
        float[] weights;
        if (dropout > 0 && selected.ClickCount > 0)
        {
            var keep = new bool[selected.ClickCount];
            using var uniform = rand([keep.Length], dtype: ScalarType.Float64, generator: _noise);
            var draws = uniform.data<double>();
            for (var c = 0; c < keep.Length; c++) keep[c] = draws[c] >= dropout;
            weights = MultVaeLayers.InputWeights(selected, dropout, keep);
            if (_predictDroppedClicks) targets = DroppedClicks(selected, keep);
        }
        else weights = MultVaeLayers.InputWeights(selected, 0, default);
        var epsilon = randn([users.Length, _model.Options.LatentSize], generator: _noise);
        var (nll, kl, weightedKl) = ComputeGradients(selected, weights, epsilon, beta, _encoderPhase, targets);
        var count = users.Length;
        return new StepResult(count, (nll + weightedKl) * count, nll * count, kl * count);
    }

    /// <summary>The clicks of <paramref name="batch"/> the dropout did not keep, with their values; the kept ones weigh 0.</summary>
    internal static ClickMatrix DroppedClicks(ClickMatrix batch, ReadOnlySpan<bool> keep)
    {
        var values = new float[keep.Length];
        var original = batch.Values;
        for (var c = 0; c < keep.Length; c++) values[c] = keep[c] ? 0f : original.IsEmpty ? 1f : original[c];
        return batch.WithValues(values);
    }

    /// <summary>
    /// The batch's mean negative log-likelihood, mean KL estimate and mean weighted KL term; writes the gradients of
    /// their sum into the encoder's parameters (<paramref name="encoderPass"/>) or the decoder's (otherwise). The
    /// likelihood is that of <paramref name="targets"/> (the same users' clicks, weighted otherwise) when given, else of
    /// <paramref name="batch"/>; the KL weights count <paramref name="batch"/>'s clicks either way.
    /// </summary>
    internal unsafe (double NegativeLogLikelihood, double Kl, double WeightedKl) ComputeGradients(
        ClickMatrix batch, float[] clickWeights, Tensor noise, double gamma, bool encoderPass, ClickMatrix? targets = null)
    {
        var users = batch.UserCount;
        var threads = Math.Max(1, Threads);
        using var scope = NewDisposeScope();
        using var scalars = new ScalarScope();
        var encoder = _model.Encoder;
        var inputGradient = encoder[0].grad!;
        var inputUnits = (int)encoder[1].shape[0];
        if (encoderPass)
        {
            // The input weight's gradient is non-zero only in the rows of the items the previous encoder batch clicked.
            var gradientRows = NativeTensor.Floats(inputGradient);
            foreach (var item in _touchedItems)
            {
                new Span<float>(gradientRows + (long)item * inputUnits, inputUnits).Clear();
                _touched[item] = false;
            }
            _touchedItems.Clear();
            using var noGrad = no_grad();
            for (var i = 2; i < RecVae.EncoderTensorCount; i++) encoder[i].grad!.zero_();
        }

        // The per-user KL weight gamma x the user's clicks (run.py: kl_weight = gamma * user_ratings.sum(-1)).
        var rowPointers = batch.RowPointers;
        var values = batch.Values;
        var klWeights = new float[users];
        for (var u = 0; u < users; u++)
        {
            var sum = 0.0;
            for (var c = rowPointers[u]; c < rowPointers[u + 1]; c++) sum += values.IsEmpty ? 1.0 : values[c];
            klWeights[u] = (float)(gamma * sum);
        }
        using var klWeightTensor = tensor(klWeights);

        // The prior's posterior component: the frozen encoder on the whole input, without dropout.
        Tensor priorMean, priorLogVariance;
        using (no_grad())
        {
            var priorFirst = RecVae.InputLayer(batch, MultVaeLayers.InputWeights(batch, 0, default), _model.Prior);
            (priorMean, priorLogVariance) = RecVae.Encode(priorFirst, _model.Prior, _model.Options.LayerNormEpsilon);
        }

        var first = RecVae.InputLayer(batch, clickWeights, encoder);
        if (encoderPass) first.requires_grad_(true);
        Tensor mean, logVariance, z, perUser, term;
        using (encoderPass ? null : no_grad())
        {
            (mean, logVariance) = RecVae.Encode(first, encoder, _model.Options.LayerNormEpsilon);
            z = mean.add(noise.mul(logVariance.mul(Scalars.Half).exp()), Scalars.One);
            (perUser, term) = RecVae.KlTerm(z, mean, logVariance, priorMean, priorLogVariance, klWeightTensor, _model.Options);
        }

        var zData = z.detach().contiguous();
        var latent = _model.Options.LatentSize;
        var zGradient = empty(users, latent);
        var needed = (long)_model.ItemCount * MultVaeLayers.PaddedUsers(users);
        if (_scratch is null || _scratch.numel() < needed)
        {
            _scratch?.Dispose();
            _scratch = empty(needed).DetachFromDisposeScope();
        }
        var negativeLogLikelihood = MultVaeLayers.OutputForwardBackward(targets ?? batch, NativeTensor.Floats(zData), latent,
            NativeTensor.Floats(_model.OutputWeight), NativeTensor.Floats(_model.OutputBias), NativeTensor.Floats(_scratch),
            NativeTensor.Floats(_model.OutputWeight.grad!), NativeTensor.Floats(_model.OutputBias.grad!), NativeTensor.Floats(zGradient), threads);

        if (encoderPass)
        {
            // d(loss)/dz enters through a surrogate whose gradient it is; the KL term's own gradient through autograd.
            var surrogate = z.mul(zGradient).sum().add(term, Scalars.One);
            surrogate.backward();
            var firstGradient = first.grad!.contiguous();
            MultVaeLayers.InputBackward(batch, clickWeights, NativeTensor.Floats(firstGradient), inputUnits,
                NativeTensor.Floats(inputGradient), NativeTensor.Floats(encoder[1].grad!));
            var items = batch.ItemIndices;
            for (var c = 0; c < items.Length; c++)
            {
                if (!_touched[items[c]])
                {
                    _touched[items[c]] = true;
                    _touchedItems.Add(items[c]);
                }
            }
        }
        var kl = users == 0 ? 0 : perUser.detach().mean().item<float>();
        return (users == 0 ? 0 : negativeLogLikelihood / users, kl, users == 0 ? 0 : term.detach().item<float>());
    }

    public ValidationOutcome Validate(TrainingData validation, long seed)
    {
        var heldOut = validation as HeldOutUsers
            ?? throw new ArgumentException($"RecVAE validates on {nameof(HeldOutUsers)}, not on {validation.GetType().Name}.", nameof(validation));
        if (heldOut.FoldIn.ItemCount != _model.ItemCount)
            throw new ArgumentException($"The validation data has {heldOut.FoldIn.ItemCount} items but the model has {_model.ItemCount}.", nameof(validation));
        var ndcg = RecommendationEvaluator.Evaluate(_model, heldOut, _ranking).MeanNdcg(100);
        return new ValidationOutcome(-ndcg, null, new Dictionary<string, double> { [MultVaeTraining.ValidationMetric] = ndcg });
    }

    public void Dispose() => _scratch?.Dispose();
}
