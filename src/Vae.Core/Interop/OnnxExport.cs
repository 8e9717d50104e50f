using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Writes a model's encoder and decoder as ONNX graphs that run where only an ONNX runtime does: opset 17 of the default
/// domain (IR version 8), float32, with a symbolic batch dimension named <c>batch</c>. MLP and convolutional models.
/// </summary>
/// <remarks>
/// <para>
/// The encoder graph maps <c>x</c> <c>[batch, InputSize]</c> to <c>mean</c> and <c>log_variance</c>
/// <c>[batch, LatentSize]</c>, the parameters of q(z|x). The decoder graph maps <c>z</c> <c>[batch, LatentSize]</c> to
/// <c>probabilities</c> <c>[batch, InputSize]</c> (the sigmoid of the logits, for the Bernoulli likelihood) or to
/// <c>mean</c> (for the Gaussian likelihood; learned variances are not part of the graph: they do not depend on z and are
/// in the state dict as <c>decoder.logVariance</c>). Linear layers are <c>Gemm</c> with <c>transB = 1</c>, convolutions
/// <c>Conv</c> and <c>ConvTranspose</c> with kernel 4 and stride 2, reshapes <c>Reshape</c> and <c>Flatten</c>.
/// </para>
/// <para>The weights are copied in as float32 initializers; the file does not depend on Vae.Core or TorchSharp.</para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>The opset of the default ONNX domain the graphs use.</summary>
    public const int Opset = (int)OnnxGraph.Opset;

    /// <summary>The encoder's input: flattened samples.</summary>
    public const string EncoderInput = "x";

    /// <summary>The encoder's first output, the posterior means; also the decoder's output for the Gaussian likelihood, the mean of p(x|z).</summary>
    public const string MeanOutput = "mean";

    /// <summary>The encoder's second output: the posterior log-variances.</summary>
    public const string LogVarianceOutput = "log_variance";

    /// <summary>The decoder's input: latent codes.</summary>
    public const string DecoderInput = "z";

    /// <summary>The decoder's output for the Bernoulli likelihood: the probability of each feature.</summary>
    public const string ProbabilitiesOutput = "probabilities";

    /// <summary>Writes the encoder graph to <paramref name="path"/> (atomically).</summary>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static void ExportEncoder(VariationalAutoencoder model, string path) => Write(path, EncoderModel(model));

    /// <summary>Writes the decoder graph to <paramref name="path"/> (atomically).</summary>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static void ExportDecoder(VariationalAutoencoder model, string path) => Write(path, DecoderModel(model));

    /// <summary>The serialized ONNX model of the encoder: <c>x</c> to <c>mean</c> and <c>log_variance</c>.</summary>
    /// <exception cref="ArgumentException">The model is custom, conditional, or uses an activation other than ReLU or layer normalization.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static byte[] EncoderModel(VariationalAutoencoder model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = model.Options;
        Refuse(options, "encoder");
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var graph = new OnnxGraph();
        graph.Input(EncoderInput, options.InputSize);
        Posterior(graph, state, options, EncoderInput, MeanOutput, LogVarianceOutput);
        graph.Output(MeanOutput, options.LatentSize);
        graph.Output(LogVarianceOutput, options.LatentSize);
        return graph.ToModel("encoder", $"q(z|x) of the {options} VAE: x [batch, {options.InputSize}] to the mean and log-variance [batch, {options.LatentSize}].");
    }

    /// <summary>
    /// The serialized ONNX model of the decoder: <c>z</c> to <c>probabilities</c> (Bernoulli) or <c>mean</c> (Gaussian),
    /// the mean of p(x|z).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The model is custom, conditional, uses an activation other than ReLU or layer normalization, or has a continuous
    /// Bernoulli likelihood.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static byte[] DecoderModel(VariationalAutoencoder model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = model.Options;
        Refuse(options, "decoder");
        if (model.Likelihood.OnnxRefusal is { } refusal)
            throw new ArgumentException(
                $"The decoder of the {options} model {refusal}, whose mean the exported graph does not compute; export its encoder, or its weights with PyTorchInterop.",
                nameof(model));
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var graph = new OnnxGraph();
        graph.Input(DecoderInput, options.LatentSize);
        var meanOperator = model.Likelihood.OnnxMeanOperator;
        var output = meanOperator is not null ? ProbabilitiesOutput : MeanOutput;
        var current = DecoderLogits(graph, state, options, DecoderInput);
        graph.Node(meanOperator ?? "Identity", [current], output);
        graph.Output(output, options.InputSize);
        return graph.ToModel("decoder", $"p(x|z) of the {options} VAE: z [batch, {options.LatentSize}] to the {output} [batch, {options.InputSize}].");
    }

    /// <summary>The anomaly scorer's output: the negative ELBO at the posterior mean of each row, in nats, <c>[batch]</c>.</summary>
    public const string ScoreOutput = "score";

    /// <summary>
    /// Writes the anomaly scorer graph to <paramref name="path"/> (atomically): <c>x</c> <c>[batch, InputSize]</c> to
    /// <c>score</c> <c>[batch]</c>, the score <see cref="AnomalyScoreKind.NegativeElboAtMean"/> that
    /// <see cref="AnomalyDetector.Score"/> gives (see <see cref="AnomalyScorerModel(VariationalAutoencoder)"/>).
    /// </summary>
    /// <param name="model">An unconditional ReLU MLP or convolutional model with a Bernoulli or Gaussian likelihood and the standard prior.</param>
    /// <param name="path">The file to create or replace.</param>
    /// <exception cref="ArgumentException">The graph cannot compute the model's score; the message says why.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static void ExportAnomalyScorer(VariationalAutoencoder model, string path) => Write(path, AnomalyScorerModel(model));

    /// <summary>
    /// The serialized ONNX model of the anomaly score <see cref="AnomalyScoreKind.NegativeElboAtMean"/>: <c>x</c>
    /// <c>[batch, InputSize]</c> (flattened samples, as the encoder graph takes them) to <c>score</c> <c>[batch]</c>,
    /// -log p(x|z) at z = the mean of q(z|x), summed over the features, plus the closed-form KL(q(z|x) || N(0, I)), in
    /// nats. Any ONNX runtime then scores with the model trained here; compare with a detector's
    /// <see cref="AnomalyDetector.Threshold"/> to flag rows.
    /// </summary>
    /// <param name="model">An unconditional ReLU MLP or convolutional model with a Bernoulli or Gaussian likelihood and the standard prior.</param>
    /// <returns>The ONNX model's bytes.</returns>
    /// <exception cref="ArgumentException">
    /// The model is custom, conditional, has a learned prior (whose KL has no closed form), a continuous Bernoulli
    /// likelihood, or a non-ReLU activation or layer norm.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static byte[] AnomalyScorerModel(VariationalAutoencoder model) => AnomalyScorerModel(model, EncoderInput);

    /// <summary>
    /// The serialized ONNX model of the anomaly score <see cref="AnomalyScoreKind.NegativeElboAtMean"/> of an MLP or
    /// convolutional model with a Bernoulli or Gaussian likelihood: <paramref name="input"/> <c>[batch, InputSize]</c> to
    /// <paramref name="scoreOutput"/> <c>[batch]</c>, the reconstruction term -log p(x|z = mean of q(z|x)) summed over
    /// the features plus the closed-form KL of q(z|x) from N(0, I), as <see cref="AnomalyDetector.Score"/> computes it;
    /// with a <paramref name="labelOutput"/>, also the bool <c>score &gt; threshold</c> <c>[batch]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The model is custom, conditional, has a learned prior, a continuous Bernoulli likelihood, or a non-ReLU activation or layer norm.</exception>
    /// <param name="model">An MLP or convolutional model with a Bernoulli or Gaussian likelihood and the standard prior.</param>
    /// <param name="input">The name of the graph's input.</param>
    /// <param name="scoreOutput">The name of the score output.</param>
    /// <param name="labelOutput">The name of the bool output <c>score &gt; threshold</c>; null for none.</param>
    /// <param name="threshold">The threshold of <paramref name="labelOutput"/>.</param>
    /// <param name="shift">Subtracted from each feature before the model sees it (and scores it); null for none.</param>
    /// <param name="scale">Multiplies each shifted feature; null for none.</param>
    internal static byte[] AnomalyScorerModel(VariationalAutoencoder model, string input, string scoreOutput = ScoreOutput,
        string? labelOutput = null, double threshold = double.PositiveInfinity, float[]? shift = null, float[]? scale = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = model.Options;
        Refuse(options, "anomaly scorer");
        var reason = model.Likelihood.OnnxRefusal ?? (model.Prior.HasClosedFormKl ? null : "has a learned prior, whose KL has no closed form");
        if (reason is not null) throw new ArgumentException($"Cannot export the anomaly scorer of the {options} model to ONNX: it {reason}.", nameof(model));
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var graph = new OnnxGraph();
        graph.Input(input, options.InputSize);
        input = Standardized(graph, input, options.InputSize, shift, scale);
        var (mean, logVariance) = Posterior(graph, state, options, input, "posterior.mean", "posterior.log_variance");
        var current = DecoderLogits(graph, state, options, mean);
        var axes = graph.Initializer("sum_axes", [1L]);
        var half = graph.Initializer("half", [0.5f]);
        var reconstruction = model.Likelihood.OnnxNegativeLogDensity(graph, current, input, axes, half, model);
        // KL(q(z|x) || N(0, I)) = 0.5 sum(mean² + exp(log σ²) - log σ² - 1).
        var one = graph.Initializer("one", [1f]);
        var meanSquared = graph.Node("Mul", [mean, mean], "kl.mean_squared");
        var variance = graph.Node("Exp", [logVariance], "kl.variance");
        var klSum = graph.Node("Add", [meanSquared, variance], "kl.sum");
        var klDifference = graph.Node("Sub", [klSum, logVariance], "kl.difference");
        var klTerms = graph.Node("Sub", [klDifference, one], "kl.terms");
        var klTotal = graph.Node("ReduceSum", [klTerms, axes], "kl.total", ("keepdims", 0L));
        var kl = graph.Node("Mul", [klTotal, half], "kl");
        graph.Node("Add", [reconstruction, kl], scoreOutput);
        graph.RowOutput(scoreOutput);
        if (labelOutput is not null)
        {
            graph.Node("Greater", [scoreOutput, graph.Initializer("threshold", [(float)threshold])], labelOutput);
            graph.RowOutput(labelOutput, boolean: true);
        }
        return graph.ToModel("anomaly_scorer", $"The negative ELBO at the posterior mean of the {options} VAE: {input} [batch, {options.InputSize}] to {scoreOutput} [batch].");
    }

    /// <summary>
    /// The serialized ONNX model of an MLP encoder with named ends: <paramref name="input"/> <c>[batch, InputSize]</c>
    /// (shifted and scaled first when given) to <paramref name="output"/>, the posterior means <c>[batch, LatentSize]</c>,
    /// or the means then the log-variances <c>[batch, 2 LatentSize]</c> when <paramref name="includeLogVariance"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The model is not an unconditional ReLU MLP without layer norm.</exception>
    /// <param name="model">An unconditional ReLU MLP without layer norm.</param>
    /// <param name="input">The name of the graph's input.</param>
    /// <param name="output">The name of the graph's output.</param>
    /// <param name="includeLogVariance">Whether the log-variances follow the means.</param>
    /// <param name="shift">Subtracted from each feature first; null for none.</param>
    /// <param name="scale">Multiplies each shifted feature; null for none.</param>
    /// <param name="oneRow">
    /// Whether the output is declared <c>[width]</c> for one row, flattened: ML.NET's ONNX transformer feeds one row at a
    /// time and would type a <c>[batch, width]</c> output as a <c>[1, width]</c> matrix.
    /// </param>
    internal static byte[] LatentFeaturesModel(VariationalAutoencoder model, string input, string output, bool includeLogVariance,
        float[]? shift = null, float[]? scale = null, bool oneRow = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = model.Options;
        Refuse(options, "encoder");
        if (options.Architecture != VaeArchitecture.Mlp)
            throw new ArgumentException($"Cannot export the latent features of the {options} model to ONNX: it is not an MLP.", nameof(model));
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var graph = new OnnxGraph();
        graph.Input(input, options.InputSize);
        input = Standardized(graph, input, options.InputSize, shift, scale);
        var (mean, logVariance) = Posterior(graph, state, options, input, "posterior.mean", "posterior.log_variance");
        var latent = includeLogVariance ? graph.Node("Concat", [mean, logVariance], "posterior.both", ("axis", 1L)) : mean;
        var width = includeLogVariance ? 2 * options.LatentSize : options.LatentSize;
        if (oneRow)
        {
            graph.Node("Reshape", [latent, graph.Initializer("flat_shape", [-1L])], output);
            graph.FlatOutput(output, width);
        }
        else
        {
            graph.Node("Identity", [latent], output);
            graph.Output(output, width);
        }
        return graph.ToModel("latent_features", $"q(z|x) of the {options} VAE: {input} [batch, {options.InputSize}] to {output}.");
    }

    private static string Standardized(OnnxGraph graph, string input, long features, float[]? shift, float[]? scale)
    {
        if (shift is not null)
        {
            if (shift.Length != features) throw new ArgumentException($"The shift has {shift.Length} values for {features} features.", nameof(shift));
            input = graph.Node("Sub", [input, graph.Initializer("standardize.shift", shift, features)], "standardize.shifted");
        }
        if (scale is not null)
        {
            if (scale.Length != features) throw new ArgumentException($"The scale has {scale.Length} values for {features} features.", nameof(scale));
            input = graph.Node("Mul", [input, graph.Initializer("standardize.scale", scale, features)], "standardize.scaled");
        }
        return input;
    }

    // q(z|x) of the built-in MLP or convolutional encoder, from flattened samples.
    private static (string Mean, string LogVariance) Posterior(OnnxGraph graph, Dictionary<string, Tensor> state, VaeOptions options, string input, string meanName, string logVarianceName)
    {
        var current = input;
        if (options.Architecture == VaeArchitecture.Convolutional)
        {
            current = graph.Node("Reshape", [current, graph.Initializer("image_shape", [-1, options.ImageChannels, options.ImageHeight, options.ImageWidth])], "encoder.image");
            for (var i = 1; i <= options.ConvChannels.Count; i++)
            {
                var name = $"encoder.convolutions.conv{i}";
                current = graph.Node("Conv", [current, graph.Initializer($"{name}.weight", state[$"{name}.weight"]), graph.Initializer($"{name}.bias", state[$"{name}.bias"])],
                    $"{name}.output", ("kernel_shape", new long[] { 4, 4 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
                current = graph.Node("Relu", [current], $"{name}.relu");
            }
            current = graph.Node("Flatten", [current], "encoder.features", ("axis", 1L));
        }
        for (var i = 1; i <= options.HiddenSizes.Count; i++)
        {
            current = Linear(graph, state, $"encoder.hidden.fc{i}", current, $"encoder.hidden.fc{i}.output");
            current = graph.Node("Relu", [current], $"encoder.hidden.relu{i}");
        }
        return (Linear(graph, state, "encoder.mean", current, meanName), Linear(graph, state, "encoder.logVar", current, logVarianceName));
    }

    // The logits (Bernoulli) or mean (Gaussian) of p(x|z), flattened [batch, InputSize], from the built-in decoder.
    private static string DecoderLogits(OnnxGraph graph, Dictionary<string, Tensor> state, VaeOptions options, string z)
    {
        var convolutional = options.Architecture == VaeArchitecture.Convolutional;
        var layers = options.HiddenSizes.Count + 1;
        var current = z;
        for (var i = 1; i <= layers; i++)
        {
            var last = i == layers && !convolutional;
            current = Linear(graph, state, $"decoder.layers.fc{i}", current, last ? "logits" : $"decoder.layers.fc{i}.output");
            if (!last) current = graph.Node("Relu", [current], $"decoder.layers.relu{i}");
        }
        if (convolutional)
        {
            var maps = options.FeatureMapSizes();
            var channels = options.ConvChannels;
            current = graph.Node("Reshape", [current, graph.Initializer("map_shape", [-1, channels[^1], maps[^1].Height, maps[^1].Width])], "maps");
            for (var k = 1; k <= channels.Count; k++)
            {
                var i = channels.Count - k;
                // Kernel 4, stride 2, padding 1 doubles the size; an odd target keeps one more row or column at the end,
                // which the transposed convolution computes anyway: drop one fewer there.
                var (height, width) = maps[i];
                var (inputHeight, inputWidth) = maps[i + 1];
                long endHeight = 1 - (height - 2 * inputHeight), endWidth = 1 - (width - 2 * inputWidth);
                var name = $"decoder.deconvolutions.deconv{k}";
                current = graph.Node("ConvTranspose", [current, graph.Initializer($"{name}.weight", state[$"{name}.weight"]), graph.Initializer($"{name}.bias", state[$"{name}.bias"])],
                    k == channels.Count ? "decoder.image" : $"{name}.output",
                    ("kernel_shape", new long[] { 4, 4 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, endHeight, endWidth }));
                if (k < channels.Count) current = graph.Node("Relu", [current], $"{name}.relu");
            }
            current = graph.Node("Flatten", [current], "logits", ("axis", 1L));
        }
        return current;
    }

    // The graphs are the built-in unconditional ReLU networks without layer norm; anything else would export wrong numbers.
    private static void Refuse(VaeOptions options, string network)
    {
        string? reason = options switch
        {
            { Architecture: VaeArchitecture.Custom } => "is built from networks of your own, which the exporter does not know",
            { ConditionWidth: > 0 } => "is conditional, and the graphs take no condition",
            { Activation: not VaeActivation.ReLU } => $"uses {options.Activation}, and the graphs implement ReLU only",
            { LayerNormalization: true } => "uses layer normalization, which the graphs do not implement",
            _ => null,
        };
        if (reason is not null)
            throw new ArgumentException($"Cannot export the {network} of the {options} model to ONNX: it {reason}.", "model");
    }

    private static string Linear(OnnxGraph graph, Dictionary<string, Tensor> state, string name, string input, string output) =>
        graph.Node("Gemm", [input, graph.Initializer($"{name}.weight", state[$"{name}.weight"]), graph.Initializer($"{name}.bias", state[$"{name}.bias"])],
            output, ("transB", 1L));

    private static void Write(string path, byte[] model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, stream => stream.Write(model));
    }
}
