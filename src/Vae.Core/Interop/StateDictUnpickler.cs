using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Reads the pickle of a zip-format <c>torch.save(state_dict)</c> file: a small interpreter of the pickle opcodes
/// (protocols 2 to 5) that knows only the globals a state dict names and never constructs anything else.
/// </summary>
/// <remarks>
/// <para>
/// Accepted globals: <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>,
/// <c>torch._utils._rebuild_parameter</c>, <c>torch._utils._rebuild_parameter_with_state</c> and the typed storage
/// classes (<c>torch.FloatStorage</c> and so on); any other global is refused by name as soon as it is read.
/// </para>
/// <para>
/// A persistent id <c>('storage', type, key, location, numel)</c> is checked against the real size of the zip entry
/// <c>data/key</c> before anything is allocated; each storage is read once, whatever number of tensors views it; each
/// tensor's offset, sizes and strides must stay inside its storage, and the tensor is copied out of it into memory of
/// its own, contiguous. The tensors together may hold no more than the budget (a small multiple of the file's size).
/// </para>
/// </remarks>
internal static class StateDictUnpickler
{
    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    /// <summary>A pickled dictionary (a dict or an OrderedDict), in insertion order.</summary>
    private sealed class PickleDict
    {
        public List<KeyValuePair<object?, object?>> Items { get; } = [];
    }

    private sealed record Storage(string Key, string EntryName, ScalarType Type, int ElementSize, long Count);

    private sealed record TensorView(Storage Storage, long Offset, long[] Size, long[] Stride);

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private static readonly Dictionary<string, (ScalarType Type, int Size)> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    private static bool IsAllowed(Global global) => (global.Module, global.Name) switch
    {
        ("collections", "OrderedDict") => true,
        ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_parameter" or "_rebuild_parameter_with_state") => true,
        ("torch", var name) => StorageTypes.ContainsKey(name),
        _ => false,
    };

    /// <summary>Reads the state dict of <paramref name="archive"/>; <paramref name="budget"/> bounds the bytes of all tensors.</summary>
    public static Dictionary<string, Tensor> Read(ZipArchive archive, string source, long budget)
    {
        var pickles = archive.Entries.Where(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)
                                                 && (e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))).ToList();
        if (pickles.Count != 1)
            throw new InvalidDataException(pickles.Count == 0 ? "the zip holds no data.pkl" : $"the zip holds {pickles.Count} data.pkl entries");
        var pickleEntry = pickles[0];
        var prefix = pickleEntry.FullName[..^"data.pkl".Length];
        var pickle = ReadEntry(pickleEntry, pickleEntry.Length, source);

        var state = new Interpreter(pickle, source, archive, prefix).Run();
        if (state is not PickleDict dict)
            throw new InvalidDataException($"'{source}' holds no state dict (a {Describe(state)} instead of a dictionary of tensors).");

        var views = new List<(string Key, TensorView View)>(dict.Items.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name || value is not TensorView view)
                throw new InvalidDataException($"'{source}': the entry '{key}' is a {Describe(value)}, not a tensor; save model.state_dict(), not other objects.");
            if (!seen.Add(name))
                throw new InvalidDataException($"'{source}': the state dict names '{name}' twice.");
            var bytes = CheckView(name, view, source);
            if (bytes > budget - total)
                throw new InvalidDataException(
                    $"'{source}': the tensor '{name}' brings the tensors to more than the {budget:N0} bytes a file of this size can honestly hold (its view repeats storage elements).");
            total += bytes;
            views.Add((name, view));
        }
        return Materialize(views, archive, source);
    }

    /// <summary>Checks that the view stays inside its storage; returns the bytes of the tensor it makes.</summary>
    private static long CheckView(string name, TensorView view, string source)
    {
        var storage = view.Storage;
        if (view.Size.Length != view.Stride.Length)
            throw new InvalidDataException($"'{source}': the tensor '{name}' has {view.Size.Length} sizes but {view.Stride.Length} strides.");
        if (view.Offset < 0 || view.Size.Any(s => s < 0) || view.Stride.Any(s => s < 0))
            throw new InvalidDataException(
                $"'{source}': the tensor '{name}' has a negative storage offset, size or stride (offset {view.Offset}, size [{string.Join(", ", view.Size)}], stride [{string.Join(", ", view.Stride)}]).");
        try
        {
            checked
            {
                long count = 1, last = view.Offset;
                for (var i = 0; i < view.Size.Length; i++)
                {
                    count *= view.Size[i];
                    if (view.Size[i] > 0) last += (view.Size[i] - 1) * view.Stride[i];
                }
                var reach = count == 0 ? view.Offset : last + 1;
                if (reach > storage.Count)
                    throw new InvalidDataException(
                        $"'{source}': the tensor '{name}' (offset {view.Offset}, size [{string.Join(", ", view.Size)}], stride [{string.Join(", ", view.Stride)}]) reaches element {reach:N0} of the storage '{storage.Key}', which holds {storage.Count:N0}.");
                return count * storage.ElementSize;
            }
        }
        catch (OverflowException)
        {
            throw new InvalidDataException(
                $"'{source}': the tensor '{name}' (size [{string.Join(", ", view.Size)}], stride [{string.Join(", ", view.Stride)}]) spans more elements than a 64-bit count holds.");
        }
    }

    private static Dictionary<string, Tensor> Materialize(List<(string Key, TensorView View)> views, ZipArchive archive, string source)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, view) in views)
            {
                var storage = view.Storage;
                if (!storages.TryGetValue(storage.Key, out var flat))
                {
                    var bytes = ReadEntry(archive.GetEntry(storage.EntryName)!, storage.Count * storage.ElementSize, source);
                    flat = empty(storage.Count, storage.Type);
                    if (bytes.Length > 0) flat.bytes = bytes;
                    storages.Add(storage.Key, flat);
                }
                using var strided = flat.as_strided(view.Size, view.Stride, view.Offset);
                var tensor = empty(view.Size, storage.Type);
                result.Add(name, tensor);
                if (tensor.numel() > 0) tensor.copy_(strided);
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        finally
        {
            foreach (var flat in storages.Values) flat.Dispose();
        }
    }

    /// <summary>Reads the first <paramref name="count"/> bytes of the entry (at most its declared length).</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long count, string source)
    {
        if (count > entry.Length)
            throw new InvalidDataException($"'{source}': the zip entry '{entry.FullName}' holds {entry.Length:N0} bytes, fewer than the {count:N0} needed.");
        if (count > Array.MaxLength)
            throw new InvalidDataException($"'{source}': the zip entry '{entry.FullName}' holds {count:N0} bytes; this reader handles storages of at most {Array.MaxLength:N0}.");
        var bytes = new byte[count];
        using var content = entry.Open();
        content.ReadExactly(bytes);
        return bytes;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        Global g => $"global {g}",
        PickleDict => "dictionary",
        TensorView => "tensor",
        Storage => "storage",
        _ => value.GetType().Name,
    };

    /// <summary>The pickle machine: a stack, marks and a memo, over the bytes of data.pkl.</summary>
    private sealed class Interpreter(byte[] data, string source, ZipArchive archive, string prefix)
    {
        private readonly List<object?> _stack = [];
        private readonly Dictionary<long, object?> _memo = [];
        private readonly Dictionary<string, Storage> _storages = new(StringComparer.Ordinal);
        private int _position;

        public object? Run()
        {
            while (true)
            {
                var at = _position;
                var opcode = Byte();
                switch (opcode)
                {
                    case 0x80: Byte(); break; // PROTO
                    case 0x95: Bytes(8); break; // FRAME
                    case (byte)'.': // STOP
                        if (_stack.Count != 1 || _stack[0] is Mark)
                            throw Bad($"the pickle stops with {_stack.Count} objects on its stack instead of one");
                        return _stack[0];
                    case (byte)'(': _stack.Add(Mark.Instance); break; // MARK
                    case (byte)'}': _stack.Add(new PickleDict()); break; // EMPTY_DICT
                    case (byte)']': _stack.Add(new List<object?>()); break; // EMPTY_LIST
                    case (byte)')': _stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
                    case (byte)'N': _stack.Add(null); break; // NONE
                    case 0x88: _stack.Add(true); break; // NEWTRUE
                    case 0x89: _stack.Add(false); break; // NEWFALSE
                    case (byte)'K': _stack.Add((long)Byte()); break; // BININT1
                    case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break; // BININT2
                    case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break; // BININT
                    case 0x8a: _stack.Add(Long(Bytes(Byte()))); break; // LONG1
                    case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break; // BINFLOAT
                    case (byte)'X': _stack.Add(Utf8(Bytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))))); break; // BINUNICODE
                    case 0x8c: _stack.Add(Utf8(Bytes(Byte()))); break; // SHORT_BINUNICODE
                    case 0x8d: _stack.Add(Utf8(Bytes(Length(BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8)))))); break; // BINUNICODE8
                    case (byte)'q': _memo[Byte()] = Peek(); break; // BINPUT
                    case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))] = Peek(); break; // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                    case (byte)'h': _stack.Add(Memo(Byte())); break; // BINGET
                    case (byte)'j': _stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break; // LONG_BINGET
                    case (byte)'t': _stack.Add(PopToMark().ToArray()); break; // TUPLE
                    case 0x85: _stack.Add(Pop(1)); break; // TUPLE1
                    case 0x86: _stack.Add(Pop(2)); break; // TUPLE2
                    case 0x87: _stack.Add(Pop(3)); break; // TUPLE3
                    case (byte)'l': _stack.Add(PopToMark()); break; // LIST
                    case (byte)'a': { var item = Pop(1)[0]; List().Add(item); break; } // APPEND
                    case (byte)'e': { var items = PopToMark(); List().AddRange(items); break; } // APPENDS
                    case (byte)'s': { var kv = Pop(2); Dict().Items.Add(new(kv[0], kv[1])); break; } // SETITEM
                    case (byte)'u': // SETITEMS
                        {
                            var items = PopToMark();
                            if (items.Count % 2 != 0) throw Bad("SETITEMS has an odd number of items");
                            var dict = Dict();
                            for (var i = 0; i < items.Count; i += 2) dict.Items.Add(new(items[i], items[i + 1]));
                            break;
                        }
                    case (byte)'c': _stack.Add(CheckGlobal(new Global(Line(), Line()))); break; // GLOBAL
                    case 0x93: // STACK_GLOBAL
                        {
                            var names = Pop(2);
                            if (names[0] is not string module || names[1] is not string name) throw Bad("STACK_GLOBAL needs two strings");
                            _stack.Add(CheckGlobal(new Global(module, name)));
                            break;
                        }
                    case (byte)'R': // REDUCE
                        {
                            var pair = Pop(2);
                            if (pair[0] is not Global function) throw Bad($"REDUCE calls a {Describe(pair[0])}");
                            if (pair[1] is not object?[] arguments) throw Bad($"REDUCE passes a {Describe(pair[1])} as arguments");
                            _stack.Add(Call(function, arguments));
                            break;
                        }
                    case (byte)'b': // BUILD: an OrderedDict's attributes (the state dict's _metadata) are not needed.
                        {
                            var pair = Pop(2);
                            if (pair[0] is not PickleDict) throw Bad($"BUILD sets the state of a {Describe(pair[0])}");
                            _stack.Add(pair[0]);
                            break;
                        }
                    case (byte)'Q': _stack.Add(PersistentLoad(Pop(1)[0])); break; // BINPERSID
                    case (byte)'0': Pop(1); break; // POP
                    case (byte)'2': _stack.Add(Peek()); break; // DUP
                    default:
                        throw Bad($"the pickle opcode 0x{opcode:x2} at byte {at:N0} is not one torch.save writes for a state dict");
                }
            }
        }

        private Global CheckGlobal(Global global) =>
            IsAllowed(global)
                ? global
                : throw new InvalidDataException(
                    $"'{source}': the pickle names the global '{global}', which a state dict does not use; it is refused (only collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and torch's storage types are allowed).");

        private object? Call(Global function, object?[] arguments)
        {
            switch (function.Module, function.Name)
            {
                case ("collections", "OrderedDict"):
                    return OrderedDict(arguments);
                case ("torch._utils", "_rebuild_tensor_v2"):
                    {
                        if (arguments.Length is < 6 or > 7) throw Bad($"torch._utils._rebuild_tensor_v2 is called with {arguments.Length} arguments instead of 6 or 7");
                        if (arguments[0] is not Storage storage) throw Bad($"torch._utils._rebuild_tensor_v2 gets a {Describe(arguments[0])} instead of a storage");
                        return new TensorView(storage, Integer(arguments[1], "storage offset"), Integers(arguments[2], "size"), Integers(arguments[3], "stride"));
                    }
                case ("torch._utils", "_rebuild_parameter" or "_rebuild_parameter_with_state"):
                    if (arguments.Length < 3 || arguments[0] is not TensorView view) throw Bad($"{function} is not called with a tensor");
                    return view;
                default:
                    throw Bad($"the global '{function}' is not callable in a state dict");
            }
        }

        /// <summary><c>OrderedDict()</c>, or <c>OrderedDict(pairs)</c> as other writers (TorchSharp.PyBridge) call it.</summary>
        private PickleDict OrderedDict(object?[] arguments)
        {
            var dict = new PickleDict();
            if (arguments.Length == 0) return dict;
            if (arguments.Length > 1) throw Bad($"collections.OrderedDict is called with {arguments.Length} arguments");
            switch (arguments[0])
            {
                case PickleDict other:
                    dict.Items.AddRange(other.Items);
                    return dict;
                case IEnumerable<object?> pairs:
                    foreach (var pair in pairs)
                    {
                        if (pair is not IList<object?> { Count: 2 } kv) throw Bad("collections.OrderedDict is called with something other than key-value pairs");
                        dict.Items.Add(new(kv[0], kv[1]));
                    }
                    return dict;
                default:
                    throw Bad($"collections.OrderedDict is called with a {Describe(arguments[0])}");
            }
        }

        private Storage PersistentLoad(object? id)
        {
            if (id is not object?[] { Length: 5 } fields || fields[0] is not "storage" || fields[1] is not Global type
                || fields[2] is not string key || fields[4] is not long count)
                throw Bad($"a persistent id is not ('storage', type, key, location, numel)");
            if (type.Module != "torch" || !StorageTypes.TryGetValue(type.Name, out var element))
                throw Bad($"the storage '{key}' has the type '{type}', which this reader does not know");
            var entryName = prefix + "data/" + key;
            var entry = archive.GetEntry(entryName)
                ?? throw new InvalidDataException($"'{source}': the storage '{key}' has no zip entry '{entryName}'.");
            if (count < 0 || count > entry.Length / element.Size)
                throw new InvalidDataException(
                    $"'{source}': the storage '{key}' claims {count:N0} {element.Type} elements ({(count < 0 ? "a negative count" : $"{(BigInteger)count * element.Size:N0} bytes")}), but its zip entry '{entryName}' holds {entry.Length:N0} bytes.");
            var storage = new Storage(key, entryName, element.Type, element.Size, count);
            if (_storages.TryGetValue(key, out var known))
            {
                if (known != storage) throw Bad($"the storage '{key}' is named twice with different types or sizes");
                return known;
            }
            _storages.Add(key, storage);
            return storage;
        }

        private long Integer(object? value, string what) => value is long l ? l : throw Bad($"a tensor's {what} is a {Describe(value)}, not an integer");

        private long[] Integers(object? value, string what) =>
            value is object?[] items ? items.Select(i => Integer(i, what)).ToArray() : throw Bad($"a tensor's {what} is a {Describe(value)}, not a tuple");

        private InvalidDataException Bad(string reason) => PickledStateDict.NotAStateDict(source, reason);

        private byte Byte() => Bytes(1)[0];

        private ReadOnlySpan<byte> Bytes(int count)
        {
            if (count > data.Length - _position) throw Bad("the pickle ends in the middle of an opcode");
            var span = data.AsSpan(_position, count);
            _position += count;
            return span;
        }

        private int Length(ulong length) => length <= (ulong)(data.Length - _position) ? (int)length : throw Bad("a string runs past the end of the pickle");

        private string Utf8(ReadOnlySpan<byte> bytes)
        {
            try
            {
                return new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Bad("a string of the pickle is not valid UTF-8");
            }
        }

        private string Line()
        {
            var end = Array.IndexOf(data, (byte)'\n', _position);
            if (end < 0) throw Bad("the pickle ends in the middle of a GLOBAL");
            var line = Encoding.ASCII.GetString(data, _position, end - _position);
            _position = end + 1;
            return line;
        }

        private long Long(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > 8) throw Bad("an integer of the pickle has more than 64 bits");
            if (bytes.Length == 0) return 0;
            long value = (sbyte)bytes[^1];
            for (var i = bytes.Length - 2; i >= 0; i--) value = (value << 8) | bytes[i];
            return value;
        }

        private object? Peek() => _stack.Count > 0 && _stack[^1] is not Mark ? _stack[^1] : throw Bad("the pickle's stack is empty");

        private object? Memo(long index) => _memo.TryGetValue(index, out var value) ? value : throw Bad($"the pickle refers to memo {index}, which it never set");

        private object?[] Pop(int count)
        {
            if (_stack.Count < count || _stack.Skip(_stack.Count - count).Any(o => o is Mark)) throw Bad("the pickle's stack holds too few objects");
            var items = _stack.GetRange(_stack.Count - count, count).ToArray();
            _stack.RemoveRange(_stack.Count - count, count);
            return items;
        }

        private List<object?> PopToMark()
        {
            var mark = _stack.FindLastIndex(o => o is Mark);
            if (mark < 0) throw Bad("the pickle has no MARK where one is needed");
            var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
            _stack.RemoveRange(mark, _stack.Count - mark);
            return items;
        }

        private List<object?> List() => Peek() as List<object?> ?? throw Bad("APPEND to something other than a list");

        private PickleDict Dict() => Peek() as PickleDict ?? throw Bad("SETITEM to something other than a dictionary");
    }
}
