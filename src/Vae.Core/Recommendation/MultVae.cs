using TorchSharp;
using TorchSharp.Modules;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// Mult-VAE (Liang, Krishnan, Hoffman and Jebara, "Variational Autoencoders for Collaborative Filtering", WWW 2018):
/// a VAE over users' click vectors with a multinomial likelihood, <c>log p(x|z) = sum_i x_i log softmax(f(z))_i</c>,
/// that recommends the unclicked items with the highest logits. Train it with <see cref="MultVaeTrainer"/>.
/// </summary>
/// <remarks>
/// <para>The encoder reads the L2-normalised click vector through tanh hidden layers to the mean and log-variance of
/// q(z|x); the decoder mirrors it. Weights start Glorot-uniform and biases from a normal of standard deviation 0.001
/// truncated at two deviations, as in the reference code (github.com/dawenl/vae_cf).</para>
/// <para>Clicks stay sparse: the encoder's first layer sums the weight rows of the clicked items instead of
/// multiplying a dense, mostly-zero vector, so only the scores of one batch of users are ever dense. Both
/// catalogue-sized weight matrices are stored item-major, <c>[items, units]</c>.</para>
/// <para>Scoring is thread-safe; training is not, and the model must not be scored while it trains.</para>
/// </remarks>
public sealed unsafe class MultVae : VaeRecommender
{
    private const int FileVersion = 1;
    internal static readonly ChecksummedContainer Container = new("MULTVAE1", "Mult-VAE model file", FileVersion);

    private readonly Parameter[] _parameters;
    private readonly Parameter _inputWeight;
    private readonly Parameter _inputBias;
    private readonly (Parameter Weight, Parameter Bias)[] _encoderLayers;
    private readonly (Parameter Weight, Parameter Bias)[] _decoderLayers;
    private readonly Parameter _outputWeight;
    private readonly Parameter _outputBias;

    /// <summary>Creates a model with freshly initialised weights.</summary>
    /// <param name="itemIds">The original id of every item (the lines of <c>unique_sid.txt</c>), in column order; saved with the model.</param>
    /// <param name="options">The architecture; the reference's I-600-200 by default.</param>
    /// <param name="seed">The seed of the initial weights.</param>
    /// <exception cref="ArgumentException">No items, an id repeats, or an option is out of range.</exception>
    public MultVae(IReadOnlyList<string> itemIds, MultVaeOptions? options = null, int seed = 98765)
        : this(itemIds, options ?? new MultVaeOptions(), seed, initialize: true)
    {
    }

    private MultVae(IReadOnlyList<string> itemIds, MultVaeOptions options, int seed, bool initialize)
        : base(itemIds)
    {
        options.Validate();
        Options = options with { HiddenSizes = options.HiddenSizes.ToArray() };
        var latent = options.LatentSize;
        var encoderSizes = options.HiddenSizes.Append(2 * latent).ToArray();
        var decoderSizes = new[] { latent }.Concat(options.HiddenSizes.Reverse()).ToArray();

        var random = new Random(seed);
        _inputWeight = NewParameter([ItemCount, encoderSizes[0]], initialize ? values => Glorot(random, ItemCount, encoderSizes[0], values) : null);
        _inputBias = NewParameter([encoderSizes[0]], initialize ? values => TruncatedNormal(random, values) : null);
        _encoderLayers = Enumerable.Range(1, encoderSizes.Length - 1)
            .Select(i => (NewParameter([encoderSizes[i - 1], encoderSizes[i]], initialize ? values => Glorot(random, encoderSizes[i - 1], encoderSizes[i], values) : null),
                          NewParameter([encoderSizes[i]], initialize ? values => TruncatedNormal(random, values) : null)))
            .ToArray();
        _decoderLayers = Enumerable.Range(1, decoderSizes.Length - 1)
            .Select(i => (NewParameter([decoderSizes[i - 1], decoderSizes[i]], initialize ? values => Glorot(random, decoderSizes[i - 1], decoderSizes[i], values) : null),
                          NewParameter([decoderSizes[i]], initialize ? values => TruncatedNormal(random, values) : null)))
            .ToArray();
        _outputWeight = NewParameter([ItemCount, decoderSizes[^1]], initialize ? values => Glorot(random, decoderSizes[^1], ItemCount, values) : null);
        _outputBias = NewParameter([ItemCount], initialize ? values => TruncatedNormal(random, values) : null);
        _parameters = new[] { _inputWeight, _inputBias }
            .Concat(_encoderLayers.SelectMany(l => new[] { l.Weight, l.Bias }))
            .Concat(_decoderLayers.SelectMany(l => new[] { l.Weight, l.Bias }))
            .Concat([_outputWeight, _outputBias])
            .ToArray();
    }

    /// <summary>The architecture.</summary>
    public MultVaeOptions Options { get; }

    /// <summary>The number of trainable weights and biases.</summary>
    public long ParameterCount => _parameters.Sum(p => p.numel());

    /// <summary>Every parameter, in a fixed order: input layer, encoder layers, decoder layers, output layer (weight then bias).</summary>
    internal IReadOnlyList<Parameter> Parameters => _parameters;

    internal Parameter InputWeight => _inputWeight;

    internal Parameter InputBias => _inputBias;

    internal Parameter OutputWeight => _outputWeight;

    internal Parameter OutputBias => _outputBias;

    internal int InputUnits => (int)_inputBias.shape[0];

    internal int OutputUnits => (int)_outputWeight.shape[1];

    private protected override Tensor ScoreBatch(ClickMatrix batch)
    {
        var first = InputLayer(batch, MultVaeLayers.InputWeights(batch, 0, default));
        var (hidden, _, _) = Middle(first, noise: null);
        return addmm(_outputBias, hidden, _outputWeight.t(), 1, 1);
    }

    private protected override void WriteFile(string path) =>
        CatalogueModelFile.Save(path, Container, new StoredOptions(Options.HiddenSizes.ToArray(), Options.LatentSize, Options.InputDropout, ItemCount),
            ItemIds, _parameters);

    /// <summary>Reads a model written by <see cref="VaeRecommender.Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Mult-VAE model file, is damaged, or its weights do not fit its architecture; the message names the file.</exception>
    public static new MultVae Load(string path) =>
        CatalogueModelFile.Load<StoredOptions, MultVae>(path, Container, stored => stored.ItemCount, FromStored, model => model._parameters);

    private protected override void FreeWeights()
    {
        foreach (var parameter in _parameters)
            parameter.Dispose();
    }

    /// <summary>The encoder's first layer before its activation, <c>[users, InputUnits]</c>, from the click lists.</summary>
    internal Tensor InputLayer(ClickMatrix batch, float[] clickWeights)
    {
        var output = empty(batch.UserCount, InputUnits);
        if (batch.UserCount > 0)
            MultVaeLayers.InputForward(batch, clickWeights, NativeTensor.Floats(_inputWeight), NativeTensor.Floats(_inputBias),
                InputUnits, NativeTensor.Floats(output), get_num_threads());
        return output;
    }

    /// <summary>
    /// From the first layer's pre-activation to the output layer's input: the rest of the encoder, z (the mean, or the
    /// mean plus <paramref name="noise"/> times the standard deviation) and the decoder's hidden layers.
    /// </summary>
    internal (Tensor Hidden, Tensor Mean, Tensor LogVariance) Middle(Tensor firstLayer, Tensor? noise)
    {
        var h = firstLayer;
        foreach (var (weight, bias) in _encoderLayers)
            h = addmm(bias, h.tanh(), weight, 1, 1);
        var mean = h.narrow(1, 0, Options.LatentSize);
        var logVariance = h.narrow(1, Options.LatentSize, Options.LatentSize);
        var a = noise is null ? mean : mean.add(noise.mul(logVariance.mul(Scalars.Half).exp()), Scalars.One);
        foreach (var (weight, bias) in _decoderLayers)
            a = addmm(bias, a, weight, 1, 1).tanh();
        return (a, mean, logVariance);
    }

    /// <summary>Every parameter by name (<c>input</c>, <c>encoder.i</c>, <c>decoder.i</c>, <c>output</c>, each <c>.weight</c> and <c>.bias</c>), as checkpoints store them.</summary>
    internal IReadOnlyDictionary<string, Tensor> NamedParameters
    {
        get
        {
            var named = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["input.weight"] = _inputWeight, ["input.bias"] = _inputBias };
            for (var i = 0; i < _encoderLayers.Length; i++)
                (named[$"encoder.{i}.weight"], named[$"encoder.{i}.bias"]) = (_encoderLayers[i].Weight, _encoderLayers[i].Bias);
            for (var i = 0; i < _decoderLayers.Length; i++)
                (named[$"decoder.{i}.weight"], named[$"decoder.{i}.bias"]) = (_decoderLayers[i].Weight, _decoderLayers[i].Bias);
            (named["output.weight"], named["output.bias"]) = (_outputWeight, _outputBias);
            return named;
        }
    }

    /// <summary>The weight matrices the reference's L2 penalty applies to (not the biases).</summary>
    internal IEnumerable<Parameter> Weights =>
        new[] { _inputWeight }.Concat(_encoderLayers.Select(l => l.Weight)).Concat(_decoderLayers.Select(l => l.Weight)).Append(_outputWeight);

    internal IEnumerable<Parameter> MiddleParameters =>
        _encoderLayers.Concat(_decoderLayers).SelectMany(l => new[] { l.Weight, l.Bias });

    private static Parameter NewParameter(long[] shape, InitialWeights.Fill? fill)
    {
        var data = fill is null ? zeros(shape) : InitialWeights.Filled(shape, fill);
        return new Parameter(data, requires_grad: true);
    }

    // Glorot (Xavier) uniform, TensorFlow's xavier_initializer: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).
    private static void Glorot(Random random, int fanIn, int fanOut, Span<float> values)
    {
        var bound = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (var i = 0; i < values.Length; i++)
            values[i] = (float)((2 * random.NextDouble() - 1) * bound);
    }

    // TensorFlow's truncated_normal_initializer(stddev=0.001): normal draws beyond two deviations are drawn again.
    private static void TruncatedNormal(Random random, Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            double draw;
            do
                draw = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            while (Math.Abs(draw) > 2);
            values[i] = (float)(0.001 * draw);
        }
    }

    private static MultVae FromStored(StoredOptions stored, string[] ids, long weightBytes)
    {
        var options = new MultVaeOptions { HiddenSizes = stored.HiddenSizes ?? [], LatentSize = stored.LatentSize, InputDropout = stored.InputDropout };
        options.Validate();
        CatalogueModelFile.CheckWeightBytes(StoredBytes(ids.Length, options), weightBytes,
            $"items {ids.Length}, hidden [{string.Join(", ", options.HiddenSizes)}], latent {options.LatentSize}");
        return new MultVae(ids, options, seed: 0, initialize: false);
    }

    /// <summary>The bytes of the weight section (count, then each tensor's length and floats); null on overflow.</summary>
    internal static long? StoredBytes(long items, MultVaeOptions options)
    {
        var encoder = options.HiddenSizes.Select(h => (long)h).Append(2L * options.LatentSize).ToArray();
        var decoder = new[] { (long)options.LatentSize }.Concat(options.HiddenSizes.Reverse().Select(h => (long)h)).ToArray();
        var shapes = new List<long[]> { new[] { items, encoder[0] }, new[] { encoder[0] } };
        for (var i = 1; i < encoder.Length; i++) shapes.AddRange([new[] { encoder[i - 1], encoder[i] }, new[] { encoder[i] }]);
        for (var i = 1; i < decoder.Length; i++) shapes.AddRange([new[] { decoder[i - 1], decoder[i] }, new[] { decoder[i] }]);
        shapes.AddRange([new[] { items, decoder[^1] }, new[] { items }]);
        return CatalogueModelFile.WeightBytes(shapes);
    }

    private sealed record StoredOptions(int[]? HiddenSizes, int LatentSize, double InputDropout, int ItemCount);
}
