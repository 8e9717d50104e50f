using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Builds one ONNX model (IR version <see cref="IrVersion"/>, default domain at opset <see cref="Opset"/>) of float
/// tensors with a symbolic batch dimension, encoding the messages of the ONNX schema it uses (ModelProto, GraphProto,
/// NodeProto, AttributeProto, TensorProto, ValueInfoProto and its type and shape) with their field numbers.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>The ONNX IR version written: 8, the one that goes with opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>The opset of the default ONNX domain the graphs use.</summary>
    public const long Opset = 17;

    /// <summary>The name of the symbolic first dimension of every input and output.</summary>
    public const string BatchDimension = "batch";

    private const int FloatType = 1;
    private const int Int64Type = 7;
    private const int BoolType = 9;
    private const int IntAttribute = 2;
    private const int IntsAttribute = 7;

    private readonly List<ProtoWriter> nodes = [];
    private readonly List<ProtoWriter> initializers = [];
    private readonly List<ProtoWriter> inputs = [];
    private readonly List<ProtoWriter> outputs = [];
    private int nodeCount;

    /// <summary>A float input of shape <c>[batch, features]</c>.</summary>
    public void Input(string name, long features) => inputs.Add(ValueInfo(name, features));

    /// <summary>A float output of shape <c>[batch, features]</c>.</summary>
    public void Output(string name, long features) => outputs.Add(ValueInfo(name, features));

    /// <summary>An output of shape <c>[batch]</c>, one value per row: float, or bool when <paramref name="boolean"/>.</summary>
    public void RowOutput(string name, bool boolean = false)
    {
        var shape = new ProtoWriter().Message(1, new ProtoWriter().String(2, BatchDimension));
        var tensorType = new ProtoWriter().Int(1, boolean ? BoolType : FloatType).Message(2, shape);
        outputs.Add(new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType)));
    }

    /// <summary>A float output of the fixed shape <c>[size]</c>, without a batch dimension.</summary>
    public void FlatOutput(string name, long size)
    {
        var shape = new ProtoWriter().Message(1, new ProtoWriter().Int(1, size));
        var tensorType = new ProtoWriter().Int(1, FloatType).Message(2, shape);
        outputs.Add(new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType)));
    }

    /// <summary>A float32 initializer of the given shape (none for a scalar).</summary>
    public string Initializer(string name, float[] values, params long[] shape)
    {
        var proto = new ProtoWriter();
        foreach (var size in shape) proto.Int(1, size);
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        proto.Int(2, FloatType).String(8, name).Bytes(9, bytes);
        initializers.Add(proto);
        return name;
    }

    /// <summary>A float32 initializer holding a copy of <paramref name="tensor"/>'s values.</summary>
    public string Initializer(string name, Tensor tensor)
    {
        // Every intermediate of the chain belongs to the scope (see ScalarScope on objects left to finalizers).
        using var scope = NewDisposeScope();
        var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        var proto = new ProtoWriter();
        foreach (var size in values.shape) proto.Int(1, size);
        proto.Int(2, FloatType).String(8, name).Bytes(9, values.bytes);
        initializers.Add(proto);
        return name;
    }

    /// <summary>An int64 initializer (e.g. a target shape).</summary>
    public string Initializer(string name, long[] values)
    {
        var proto = new ProtoWriter().Int(1, values.Length).Int(2, Int64Type).String(8, name);
        var bytes = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        proto.Bytes(9, bytes);
        initializers.Add(proto);
        return name;
    }

    /// <summary>A node of the default domain; <paramref name="attributes"/> are integer or integer-list attributes.</summary>
    public string Node(string opType, string[] nodeInputs, string output, params (string Name, object Value)[] attributes)
    {
        var proto = new ProtoWriter();
        foreach (var input in nodeInputs) proto.String(1, input);
        proto.String(2, output).String(3, $"{opType.ToLowerInvariant()}{++nodeCount}").String(4, opType);
        foreach (var (name, value) in attributes)
        {
            var attribute = new ProtoWriter().String(1, name);
            switch (value)
            {
                case long single:
                    attribute.Int(3, single).Int(20, IntAttribute);
                    break;
                case long[] list:
                    foreach (var item in list) attribute.Int(8, item);
                    attribute.Int(20, IntsAttribute);
                    break;
                default:
                    throw new ArgumentException($"Attribute '{name}': only long and long[] values are written, not {value?.GetType().Name ?? "null"}.", nameof(attributes));
            }
            proto.Message(5, attribute);
        }
        nodes.Add(proto);
        return output;
    }

    /// <summary>The serialized ModelProto.</summary>
    public byte[] ToModel(string graphName, string documentation)
    {
        var graph = new ProtoWriter();
        foreach (var node in nodes) graph.Message(1, node);
        graph.String(2, graphName);
        foreach (var initializer in initializers) graph.Message(5, initializer);
        graph.String(10, documentation);
        foreach (var input in inputs) graph.Message(11, input);
        foreach (var output in outputs) graph.Message(12, output);

        var version = typeof(OnnxGraph).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        return new ProtoWriter()
            .Int(1, IrVersion)
            .String(2, "Vae.Core")
            .String(3, version.Split('+')[0])
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, Opset))
            .ToArray();
    }

    private static ProtoWriter ValueInfo(string name, long features)
    {
        var shape = new ProtoWriter()
            .Message(1, new ProtoWriter().String(2, BatchDimension))
            .Message(1, new ProtoWriter().Int(1, features));
        var tensorType = new ProtoWriter().Int(1, FloatType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
