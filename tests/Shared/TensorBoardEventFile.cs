using System.Buffers.Binary;
using System.Text;

namespace Vae.Tests.TensorBoard;

/// <summary>
/// Reads a TensorBoard event file as TensorFlow's record reader does, checking everything: each record is a
/// little-endian uint64 length, the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
/// The data is an <c>Event</c> protocol buffer (tensorflow/core/util/event.proto), of which this reads wall_time (1),
/// step (2), file_version (3) and summary (5); a <c>Summary</c> (summary.proto) is repeated values (1), each with
/// tag (1), simple_value (2) or image (4: height 1, width 2, colorspace 3, encoded_image_string 4).
/// </summary>
internal static class TensorBoardEventFile
{
    public sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<Value> Values);

    public sealed record Value(string Tag, float? Scalar, Image? Image);

    public sealed record Image(int Height, int Width, int Colorspace, byte[] Png);

    public static IReadOnlyList<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        var position = 0;
        while (position < bytes.Length)
        {
            if (bytes.Length - position < 12) throw new InvalidDataException($"{path}: a record header is cut off at byte {position}");
            var lengthBytes = bytes.AsSpan(position, 8);
            var length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            var lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 8, 4));
            if (lengthCrc != MaskedCrc32C(lengthBytes)) throw new InvalidDataException($"{path}: the length CRC of the record at byte {position} is wrong");
            if ((ulong)(bytes.Length - position - 16) < length) throw new InvalidDataException($"{path}: the record at byte {position} is cut off");
            var data = bytes.AsSpan(position + 12, (int)length);
            var dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 12 + (int)length, 4));
            if (dataCrc != MaskedCrc32C(data)) throw new InvalidDataException($"{path}: the data CRC of the record at byte {position} is wrong");
            events.Add(ParseEvent(data.ToArray()));
            position += 16 + (int)length;
        }
        return events;
    }

    /// <summary>The scalars of every event: tag to (step, value) in file order.</summary>
    public static Dictionary<string, List<(long Step, float Value)>> Scalars(IEnumerable<Event> events)
    {
        var scalars = new Dictionary<string, List<(long, float)>>();
        foreach (var e in events)
        foreach (var value in e.Values.Where(v => v.Scalar is not null))
        {
            if (!scalars.TryGetValue(value.Tag, out var series)) scalars[value.Tag] = series = [];
            series.Add((e.Step, value.Scalar!.Value));
        }
        return scalars;
    }

    // TensorFlow's mask: rotate right by 15 bits and add a constant.
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    // CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: slow, and plain to check.
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }

    private static Event ParseEvent(byte[] data)
    {
        double wallTime = 0;
        long step = 0;
        string? fileVersion = null;
        var values = new List<Value>();
        foreach (var (field, wireType, payload, number) in Fields(data))
        {
            switch (field)
            {
                case 1 when wireType == 1: wallTime = BitConverter.Int64BitsToDouble((long)number); break;
                case 2 when wireType == 0: step = (long)number; break;
                case 3 when wireType == 2: fileVersion = Encoding.UTF8.GetString(payload); break;
                case 5 when wireType == 2: values.AddRange(ParseSummary(payload)); break;
            }
        }
        return new Event(wallTime, step, fileVersion, values);
    }

    private static IEnumerable<Value> ParseSummary(byte[] data)
    {
        foreach (var (field, wireType, payload, _) in Fields(data))
        {
            if (field != 1 || wireType != 2) continue;
            string tag = "";
            float? scalar = null;
            Image? image = null;
            foreach (var (valueField, valueWire, valuePayload, valueNumber) in Fields(payload))
            {
                switch (valueField)
                {
                    case 1 when valueWire == 2: tag = Encoding.UTF8.GetString(valuePayload); break;
                    case 2 when valueWire == 5: scalar = BitConverter.Int32BitsToSingle((int)valueNumber); break;
                    case 4 when valueWire == 2: image = ParseImage(valuePayload); break;
                }
            }
            yield return new Value(tag, scalar, image);
        }
    }

    private static Image ParseImage(byte[] data)
    {
        int height = 0, width = 0, colorspace = 0;
        byte[] png = [];
        foreach (var (field, wireType, payload, number) in Fields(data))
        {
            switch (field)
            {
                case 1 when wireType == 0: height = (int)number; break;
                case 2 when wireType == 0: width = (int)number; break;
                case 3 when wireType == 0: colorspace = (int)number; break;
                case 4 when wireType == 2: png = payload; break;
            }
        }
        return new Image(height, width, colorspace, png);
    }

    // The fields of one message: number, wire type, and the bytes (length-delimited) or the number (varint, fixed).
    private static IEnumerable<(int Field, int WireType, byte[] Payload, ulong Number)> Fields(byte[] data)
    {
        var position = 0;
        while (position < data.Length)
        {
            var key = Varint(data, ref position);
            var (field, wireType) = ((int)(key >> 3), (int)(key & 7));
            switch (wireType)
            {
                case 0:
                    yield return (field, wireType, [], Varint(data, ref position));
                    break;
                case 1:
                    yield return (field, wireType, [], BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(position, 8)));
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(data, ref position);
                    yield return (field, wireType, data.AsSpan(position, length).ToArray(), 0);
                    position += length;
                    break;
                case 5:
                    yield return (field, wireType, [], BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position, 4)));
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wireType} of field {field} at byte {position} is not one an event uses");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("a varint longer than 10 bytes");
    }
}
