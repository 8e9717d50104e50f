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
        var current = EncoderInput;
        if (options.Architecture == VaeArchitecture.Convolutional)
        {
            current = graph.Node("Reshape", [current, graph.Initializer("image_shape", [-1, options.ImageChannels, options.ImageHeight, options.ImageWidth])], "image");
            for (var i = 1; i <= options.ConvChannels.Count; i++)
            {
                var name = $"encoder.convolutions.conv{i}";
                current = graph.Node("Conv", [current, graph.Initializer($"{name}.weight", state[$"{name}.weight"]), graph.Initializer($"{name}.bias", state[$"{name}.bias"])],
                    $"{name}.output", ("kernel_shape", new long[] { 4, 4 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
                current = graph.Node("Relu", [current], $"{name}.relu");
            }
            current = graph.Node("Flatten", [current], "features", ("axis", 1L));
        }
        for (var i = 1; i <= options.HiddenSizes.Count; i++)
        {
            current = Linear(graph, state, $"encoder.hidden.fc{i}", current, $"encoder.hidden.fc{i}.output");
            current = graph.Node("Relu", [current], $"encoder.hidden.relu{i}");
        }
        Linear(graph, state, "encoder.mean", current, MeanOutput);
        Linear(graph, state, "encoder.logVar", current, LogVarianceOutput);
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
        if (options.Likelihood == VaeLikelihood.ContinuousBernoulli)
            throw new ArgumentException(
                $"The decoder of the {options} model has a continuous Bernoulli likelihood, whose mean the exported graph does not compute; export its encoder, or its weights with PyTorchInterop.",
                nameof(model));
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var graph = new OnnxGraph();
        graph.Input(DecoderInput, options.LatentSize);
        var output = options.Likelihood == VaeLikelihood.Bernoulli ? ProbabilitiesOutput : MeanOutput;
        var convolutional = options.Architecture == VaeArchitecture.Convolutional;
        var layers = options.HiddenSizes.Count + 1;
        var current = DecoderInput;
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
                    k == channels.Count ? "image" : $"{name}.output",
                    ("kernel_shape", new long[] { 4, 4 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, endHeight, endWidth }));
                if (k < channels.Count) current = graph.Node("Relu", [current], $"{name}.relu");
            }
            current = graph.Node("Flatten", [current], "logits", ("axis", 1L));
        }
        if (options.Likelihood == VaeLikelihood.Bernoulli) graph.Node("Sigmoid", [current], output);
        else graph.Node("Identity", [current], output);
        graph.Output(output, options.InputSize);
        return graph.ToModel("decoder", $"p(x|z) of the {options} VAE: z [batch, {options.LatentSize}] to the {output} [batch, {options.InputSize}].");
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
