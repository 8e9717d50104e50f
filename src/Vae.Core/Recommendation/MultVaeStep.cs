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
/// One optimizer step of Mult-VAE: the catalogue-sized input and output layers by <see cref="MultVaeLayers"/>, the
/// small layers in between by autograd, and Adam over all parameters in one flat buffer.
/// </summary>
internal sealed class MultVaeStep : IDisposable
{
    private readonly MultVae _model;
    private readonly FlatAdam _adam;
    private readonly bool[] _touched;
    private readonly List<int> _touchedItems = [];
    private Tensor? _scratch;

    public MultVaeStep(MultVae model, double learningRate)
    {
        _model = model;
        _adam = new FlatAdam(model.Parameters, learningRate) { Threads = Math.Max(1, get_num_threads()) };
        _touched = new bool[model.ItemCount];
    }

    public long Steps => _adam.Steps;

    public FlatAdam Optimizer => _adam;

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
        var threads = Math.Max(1, get_num_threads());
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

    /// <summary>Whether every gradient is finite.</summary>
    public bool GradientsAreFinite() => float.IsFinite(_adam.SumOfGradients());

    public void Update() => _adam.Step();

    public void Dispose()
    {
        _scratch?.Dispose();
        _adam.Dispose();
    }
}
