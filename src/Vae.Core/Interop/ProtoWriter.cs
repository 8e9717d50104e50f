using System.Buffers.Binary;
using System.Text;

namespace Vae.Core;

/// <summary>
/// The few pieces of the protocol buffers wire format an ONNX file needs: varint fields (wire type 0), 32-bit floats
/// (wire type 5) and length-delimited strings, bytes and nested messages (wire type 2). A message is written into its
/// own buffer and nested whole, which is all a model of a few layers needs.
/// </summary>
internal sealed class ProtoWriter
{
    private const int VarintType = 0;
    private const int LengthDelimitedType = 2;
    private const int Fixed32Type = 5;

    private readonly MemoryStream buffer = new();

    /// <summary>An integer field (int32, int64 or enum): negative values take ten bytes, as protobuf's two's complement does.</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, VarintType);
        Varint((ulong)value);
        return this;
    }

    /// <summary>A float field.</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, Fixed32Type);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.Write(bytes);
        return this;
    }

    /// <summary>A UTF-8 string field.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimitedType);
        Varint((ulong)value.Length);
        buffer.Write(value);
        return this;
    }

    /// <summary>A nested message field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>The encoded message.</summary>
    public byte[] ToArray() => buffer.ToArray();

    private void Tag(int field, int wireType)
    {
        if (field <= 0) throw new ArgumentOutOfRangeException(nameof(field), field, "Protobuf field numbers start at 1.");
        Varint(((ulong)field << 3) | (uint)wireType);
    }

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        buffer.WriteByte((byte)value);
    }
}
