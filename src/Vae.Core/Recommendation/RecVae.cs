using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using Vae.Core.Kernels;
using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// RecVAE (Shenbin, Alekseev, Tutubalina, Malykh and Nikolenko, "RecVAE: a New Variational Autoencoder for Top-N
/// Recommendations with Implicit Feedback", WSDM 2020): Mult-VAE's multinomial likelihood with a deeper encoder, a
/// composite prior and alternating training. Train it with <see cref="RecVaeTrainer"/>.
/// </summary>
/// <remarks>
/// <para>As in the reference code (github.com/ilya-shenbin/RecVAE, model.py): the click vector is normalised to unit
/// length (and dropped out while the encoder trains); five dense layers of <see cref="RecVaeOptions.HiddenSize"/> units,
/// each fed its own linear map of the previous output plus the sum of all earlier outputs, with swish and layer
/// normalisation, give the mean and log-variance of q(z|x); the decoder is one linear layer. The prior is the mixture,
/// in log space, of N(0, I), of the posterior of a frozen copy of the encoder (refreshed after the encoder passes of
/// every epoch) and of N(0, e^10 I). Linear layers start as PyTorch's do (uniform within 1/sqrt(fan-in)); the frozen
/// copy starts from its own draws, as the reference's separately built encoder does.</para>
/// <para>Clicks stay sparse as in <see cref="MultVae"/>: the first layer sums the weight rows of the clicked items.
/// Both catalogue-sized matrices are stored item-major, <c>[items, units]</c>. Scoring is thread-safe; training is not.</para>
/// </remarks>
public sealed unsafe class RecVae : VaeRecommender
{
    private const int FileVersion = 1;
    internal static readonly ChecksummedContainer Container = new("RECVAE01", "RecVAE model file", FileVersion);

    /// <summary>The encoder's tensors: the input layer, the linear maps of layers 2 to 5, the five layer norms, the mean and log-variance heads.</summary>
    internal const int EncoderTensorCount = 24;

    private readonly Parameter[] _encoder;
    private readonly Parameter _outputWeight;
    private readonly Parameter _outputBias;
    private readonly Tensor[] _prior;
    private readonly Parameter[] _parameters;

    /// <summary>Creates a model with freshly initialised weights.</summary>
    /// <param name="itemIds">The original id of every item, in column order; saved with the model.</param>
    /// <param name="options">The architecture; the reference's by default.</param>
    /// <param name="seed">The seed of the initial weights.</param>
    /// <exception cref="ArgumentException">No items, an id repeats, or an option is out of range.</exception>
    public RecVae(IReadOnlyList<string> itemIds, RecVaeOptions? options = null, int seed = 1337)
        : this(itemIds, options ?? new RecVaeOptions(), seed, initialize: true)
    {
    }

    private RecVae(IReadOnlyList<string> itemIds, RecVaeOptions options, int seed, bool initialize)
        : base(itemIds)
    {
        options.Validate();
        Options = options;
        var random = new Random(seed);
        _encoder = EncoderShapes(ItemCount, options).Select(s => Parameter(s.Shape, initialize ? values => Initial(random, s, values) : null)).ToArray();
        _outputWeight = Parameter([ItemCount, options.LatentSize], initialize ? values => Uniform(random, options.LatentSize, values) : null);
        _outputBias = Parameter([ItemCount], initialize ? values => Uniform(random, options.LatentSize, values) : null);
        _prior = EncoderShapes(ItemCount, options)
            .Select(s => (initialize ? InitialWeights.Filled(s.Shape, values => Initial(random, s, values)) : zeros(s.Shape)).DetachFromDisposeScope())
            .ToArray();
        _parameters = [.. _encoder, _outputWeight, _outputBias];
    }

    /// <summary>The architecture.</summary>
    public RecVaeOptions Options { get; }

    /// <summary>The number of trainable weights and biases (the encoder's and the decoder's; the prior's frozen copy not counted).</summary>
    public long ParameterCount => _parameters.Sum(p => p.numel());

    /// <summary>Every trainable parameter: the encoder's <see cref="EncoderTensorCount"/>, then the decoder's weight and bias.</summary>
    internal IReadOnlyList<Parameter> Parameters => _parameters;

    internal IReadOnlyList<Tensor> Encoder => _encoder;

    internal IReadOnlyList<Tensor> Prior => _prior;

    internal Parameter OutputWeight => _outputWeight;

    internal Parameter OutputBias => _outputBias;

    /// <summary>Every tensor training changes, by name (<c>encoder.*</c>, <c>decoder.*</c> and the frozen copy <c>prior.*</c>), as checkpoints store them.</summary>
    internal IReadOnlyDictionary<string, Tensor> NamedWeights
    {
        get
        {
            var names = EncoderNames();
            var named = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (var i = 0; i < EncoderTensorCount; i++)
            {
                named[$"encoder.{names[i]}"] = _encoder[i];
                named[$"prior.{names[i]}"] = _prior[i];
            }
            (named["decoder.weight"], named["decoder.bias"]) = (_outputWeight, _outputBias);
            return named;
        }
    }

    private protected override Tensor ScoreBatch(ClickMatrix batch)
    {
        var first = InputLayer(batch, MultVaeLayers.InputWeights(batch, 0, default), _encoder);
        var (mean, _) = Encode(first, _encoder, Options.LayerNormEpsilon);
        return addmm(_outputBias, mean, _outputWeight.t(), 1, 1);
    }

    // The file holds the prior's frozen encoder too, so that training can go on from a loaded model.
    private protected override void WriteFile(string path) =>
        CatalogueModelFile.Save(path, Container, new StoredOptions(Options, ItemCount), ItemIds, StoredTensors);

    /// <summary>Reads a model written by <see cref="VaeRecommender.Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a RecVAE model file, is damaged, or its weights do not fit its architecture; the message names the file.</exception>
    public static new RecVae Load(string path) =>
        CatalogueModelFile.Load<StoredOptions, RecVae>(path, Container,
            stored => stored.Options is null ? throw new JsonException("the architecture is missing") : stored.ItemCount,
            FromStored, model => model.StoredTensors);

    private protected override void FreeWeights()
    {
        foreach (var parameter in _parameters) parameter.Dispose();
        foreach (var tensor in _prior) tensor.Dispose();
    }

    /// <summary>The prior's frozen encoder becomes a copy of the encoder (the reference's update_prior).</summary>
    internal void RefreshPrior()
    {
        using var noGrad = no_grad();
        for (var i = 0; i < EncoderTensorCount; i++) _prior[i].copy_(_encoder[i]);
    }

    /// <summary>The first layer's pre-activation, <c>[users, HiddenSize]</c>, of the encoder <paramref name="encoder"/> from the click lists.</summary>
    internal static Tensor InputLayer(ClickMatrix batch, float[] clickWeights, IReadOnlyList<Tensor> encoder)
    {
        var units = (int)encoder[1].shape[0];
        var output = empty(batch.UserCount, units);
        if (batch.UserCount > 0)
            MultVaeLayers.InputForward(batch, clickWeights, NativeTensor.Floats(encoder[0]), NativeTensor.Floats(encoder[1]),
                units, NativeTensor.Floats(output), get_num_threads());
        return output;
    }

    /// <summary>
    /// From the first layer's pre-activation to the mean and log-variance of q(z|x): h1 = LN1(swish(first)), then
    /// h_k = LN_k(swish(W_k h_(k-1) + b_k + h_1 + ... + h_(k-1))) for k = 2..5 (model.py's Encoder.forward), then the two heads.
    /// </summary>
    internal static (Tensor Mean, Tensor LogVariance) Encode(Tensor first, IReadOnlyList<Tensor> encoder, double epsilon)
    {
        var units = new[] { encoder[1].shape[0] };
        var h = nn.functional.layer_norm(nn.functional.silu(first), units, encoder[10], encoder[11], epsilon);
        var sum = h;
        for (var k = 0; k < 4; k++)
        {
            var linear = addmm(encoder[3 + 2 * k], h, encoder[2 + 2 * k], 1, 1).add(sum, Scalars.One);
            h = nn.functional.layer_norm(nn.functional.silu(linear), units, encoder[12 + 2 * k], encoder[13 + 2 * k], epsilon);
            if (k < 3) sum = sum.add(h, Scalars.One);
        }
        return (addmm(encoder[21], h, encoder[20], 1, 1), addmm(encoder[23], h, encoder[22], 1, 1));
    }

    /// <summary>log N(z; mean, exp(logVariance)) elementwise (model.py's log_norm_pdf).</summary>
    internal static Tensor LogNormal(Tensor z, Tensor mean, Tensor logVariance) =>
        z.sub(mean).pow(Scalars.Two).mul(logVariance.neg().exp()).add(logVariance, Scalars.One).add(Scalars.LogTwoPi, Scalars.One).mul(Scalars.MinusHalf);

    /// <summary>
    /// The composite prior's log-density of z elementwise: log of w1 N(z; 0, 1) + w2 N(z; priorMean, exp(priorLogVariance))
    /// + w3 N(z; 0, exp(wide)), by log-sum-exp over the three (model.py's CompositePrior.forward).
    /// </summary>
    internal static Tensor CompositePriorLogDensity(Tensor z, Tensor priorMean, Tensor priorLogVariance, RecVaeOptions options)
    {
        using var scalars = new ScalarScope();
        var squared = z.pow(Scalars.Two);
        // log N(z; 0, 1) + log w1 and log N(z; 0, e^v) + log w3, with their constants folded.
        var standard = squared.mul(Scalars.MinusHalf).add(scalars[Math.Log(options.StandardPriorWeight) - 0.5 * Math.Log(2 * Math.PI)], Scalars.One);
        var wide = squared.mul(scalars[-0.5 * Math.Exp(-options.WidePriorLogVariance)])
            .add(scalars[Math.Log(options.WidePriorWeight) - 0.5 * (options.WidePriorLogVariance + Math.Log(2 * Math.PI))], Scalars.One);
        var posterior = LogNormal(z, priorMean, priorLogVariance).add(scalars[Math.Log(options.PosteriorPriorWeight)], Scalars.One);
        return stack([standard, posterior, wide], -1).logsumexp(-1);
    }

    /// <summary>
    /// Each user's single-sample KL estimate, sum over the latent dimensions of log q(z|x) - log p(z), <c>[users]</c>,
    /// and the batch's KL term: the mean over users of <paramref name="klWeights"/> (the reference's gamma x clicks) times it.
    /// </summary>
    internal static (Tensor PerUser, Tensor Term) KlTerm(Tensor z, Tensor mean, Tensor logVariance, Tensor priorMean, Tensor priorLogVariance,
        Tensor klWeights, RecVaeOptions options)
    {
        var perUser = LogNormal(z, mean, logVariance).sub(CompositePriorLogDensity(z, priorMean, priorLogVariance, options)).sum(1);
        return (perUser, perUser.mul(klWeights).mean());
    }

    private static (long[] Shape, long FanIn, bool IsNorm, bool IsNormWeight)[] EncoderShapes(int items, RecVaeOptions options)
    {
        long h = options.HiddenSize, l = options.LatentSize;
        var shapes = new List<(long[], long, bool, bool)> { ([items, h], items, false, false), ([h], items, false, false) };
        for (var k = 0; k < 4; k++) shapes.AddRange([([h, h], h, false, false), ([h], h, false, false)]);
        for (var k = 0; k < 5; k++) shapes.AddRange([([h], 0, true, true), ([h], 0, true, false)]);
        shapes.AddRange([([h, l], h, false, false), ([l], h, false, false), ([h, l], h, false, false), ([l], h, false, false)]);
        return shapes.ToArray();
    }

    private static string[] EncoderNames()
    {
        var names = new List<string> { "fc1.weight", "fc1.bias" };
        for (var k = 2; k <= 5; k++) names.AddRange([$"fc{k}.weight", $"fc{k}.bias"]);
        for (var k = 1; k <= 5; k++) names.AddRange([$"ln{k}.weight", $"ln{k}.bias"]);
        names.AddRange(["mu.weight", "mu.bias", "logvar.weight", "logvar.bias"]);
        return names.ToArray();
    }

    private static void Initial(Random random, (long[] Shape, long FanIn, bool IsNorm, bool IsNormWeight) s, Span<float> values)
    {
        if (s.IsNorm) values.Fill(s.IsNormWeight ? 1f : 0f);
        else Uniform(random, s.FanIn, values);
    }

    // PyTorch's nn.Linear initialisation: weights and biases uniform in (-1/sqrt(fan_in), 1/sqrt(fan_in)).
    private static void Uniform(Random random, long fanIn, Span<float> values)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        for (var i = 0; i < values.Length; i++) values[i] = (float)((2 * random.NextDouble() - 1) * bound);
    }

    private static Parameter Parameter(long[] shape, InitialWeights.Fill? fill) =>
        new((fill is null ? zeros(shape) : InitialWeights.Filled(shape, fill)).DetachFromDisposeScope(), requires_grad: true);

    private Tensor[] StoredTensors => [.. _parameters, .. _prior];

    private static RecVae FromStored(StoredOptions stored, string[] ids, long weightBytes)
    {
        var options = stored.Options!;
        options.Validate();
        var shapes = EncoderShapes(ids.Length, options).Select(s => s.Shape).ToArray();
        var all = shapes.Append([ids.Length, options.LatentSize]).Append([ids.Length]).Concat(shapes);
        CatalogueModelFile.CheckWeightBytes(CatalogueModelFile.WeightBytes(all), weightBytes,
            $"items {ids.Length}, hidden {options.HiddenSize}, latent {options.LatentSize}");
        return new RecVae(ids, options, seed: 0, initialize: false);
    }

    private sealed record StoredOptions(RecVaeOptions? Options, int ItemCount);
}
