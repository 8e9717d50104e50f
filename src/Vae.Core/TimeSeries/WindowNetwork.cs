using System.Numerics.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core.TimeSeries;

/// <summary>
/// The trained VAE's MLP as plain arrays, for scoring one window at a time: at that size libtorch's per-call overhead
/// costs more than the arithmetic, and a managed forward pass gives the same result on every run and after a restore.
/// The encoder's mean is the code (no sampling), and the decoder's last layer can be run for the newest point only.
/// </summary>
internal sealed class WindowNetwork
{
    private readonly Layer[] encoder;
    private readonly Layer mean;
    private readonly Layer[] decoder;
    private readonly Layer output;
    private readonly float[][] encoderActivations;
    private readonly float[][] decoderActivations;

    public WindowNetwork(VariationalAutoencoder model)
    {
        encoder = model.Encoder.HiddenLayers.Select(Layer.From).ToArray();
        mean = Layer.From(model.Encoder.MeanHead);
        var fullyConnected = model.Decoder.FullyConnectedLayers;
        decoder = fullyConnected.Take(fullyConnected.Count - 1).Select(Layer.From).ToArray();
        output = Layer.From(fullyConnected[^1]);
        var logVariance = model.LogVariance ?? throw new InvalidOperationException("The time-series model needs a learnt Gaussian variance.");
        using (no_grad())
        using (var flat = logVariance.detach().to(float32).contiguous())
        {
            LogVariance = flat.data<float>().ToArray();
        }
        encoderActivations = encoder.Select(l => new float[l.Outputs]).ToArray();
        decoderActivations = decoder.Select(l => new float[l.Outputs]).ToArray();
        Code = new float[mean.Outputs];
        InputSize = encoder.Length > 0 ? encoder[0].Inputs : mean.Inputs;
    }

    public int InputSize { get; }

    /// <summary>The decoder's per-feature log-variances.</summary>
    public float[] LogVariance { get; }

    /// <summary>The code of the last <see cref="Encode"/>.</summary>
    public float[] Code { get; }

    /// <summary>The posterior mean of <paramref name="window"/> into <see cref="Code"/>.</summary>
    public void Encode(ReadOnlySpan<float> window)
    {
        var input = window;
        for (var i = 0; i < encoder.Length; i++)
        {
            encoder[i].Forward(input, encoderActivations[i], relu: true);
            input = encoderActivations[i];
        }
        mean.Forward(input, Code, relu: false);
    }

    /// <summary>Decodes <see cref="Code"/>: the means of the outputs from <paramref name="first"/> on, into <paramref name="means"/>.</summary>
    public void Decode(int first, Span<float> means)
    {
        ReadOnlySpan<float> input = Code;
        for (var i = 0; i < decoder.Length; i++)
        {
            decoder[i].Forward(input, decoderActivations[i], relu: true);
            input = decoderActivations[i];
        }
        output.ForwardRows(input, first, means);
    }

    private sealed class Layer(float[] weight, float[] bias, int inputs, int outputs)
    {
        public int Inputs { get; } = inputs;
        public int Outputs { get; } = outputs;

        public static Layer From(Linear linear)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var weight = linear.weight!.detach().to(float32).contiguous();
            var bias = linear.bias!.detach().to(float32).contiguous();
            return new Layer(weight.data<float>().ToArray(), bias.data<float>().ToArray(), (int)weight.shape[1], (int)weight.shape[0]);
        }

        public void Forward(ReadOnlySpan<float> input, Span<float> result, bool relu)
        {
            for (var o = 0; o < Outputs; o++)
            {
                var value = TensorPrimitives.Dot(new ReadOnlySpan<float>(weight, o * Inputs, Inputs), input) + bias[o];
                result[o] = relu && value < 0 ? 0 : value;
            }
        }

        public void ForwardRows(ReadOnlySpan<float> input, int first, Span<float> result)
        {
            for (var o = 0; o < result.Length; o++)
            {
                var row = first + o;
                result[o] = TensorPrimitives.Dot(new ReadOnlySpan<float>(weight, row * Inputs, Inputs), input) + bias[row];
            }
        }
    }
}
