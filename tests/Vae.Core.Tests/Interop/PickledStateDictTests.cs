using System.IO.Compression;
using System.Text;
using Vae.Core.Tests.Data;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Interop;

/// <summary>
/// <c>.pt</c> files written here opcode by opcode as <c>torch.save(state_dict)</c> writes them (pickle protocol 2):
/// views PyTorch saves load as <c>torch.load</c> loads them, and hostile pickles are refused naming the file.
/// </summary>
public sealed class PickledStateDictTests
{
    /// <summary>Just enough of a pickle writer for a state dict: strings, integers, tuples, globals and calls.</summary>
    private static class P
    {
        public static byte[] Str(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            return [(byte)'X', .. BitConverter.GetBytes(bytes.Length), .. bytes];
        }

        public static byte[] Int(long value) => value is >= int.MinValue and <= int.MaxValue
            ? [(byte)'J', .. BitConverter.GetBytes((int)value)]
            : [0x8a, 8, .. BitConverter.GetBytes(value)];

        public static byte[] Global(string module, string name) => [(byte)'c', .. Encoding.ASCII.GetBytes($"{module}\n{name}\n")];

        public static byte[] Tuple(params byte[][] items) => [(byte)'(', .. items.SelectMany(i => i), (byte)'t'];

        public static byte[] Call(byte[] function, byte[] arguments) => [.. function, .. arguments, (byte)'R'];

        public static byte[] OrderedDict() => Call(Global("collections", "OrderedDict"), [(byte)')']);

        public static byte[] Tensor(string storageType, string key, long numel, long offset, long[] size, long[] stride) =>
            Call(Global("torch._utils", "_rebuild_tensor_v2"), Tuple(
                [.. Tuple(Str("storage"), Global("torch", storageType), Str(key), Str("cpu"), Int(numel)), (byte)'Q'],
                Int(offset),
                Tuple(size.Select(Int).ToArray()),
                Tuple(stride.Select(Int).ToArray()),
                [0x89],
                OrderedDict()));

        public static byte[] StateDict(params (string Name, byte[] Tensor)[] entries) =>
            [0x80, 2, .. OrderedDict(), (byte)'(', .. entries.SelectMany(e => Str(e.Name).Concat(e.Tensor)), (byte)'u', (byte)'.'];
    }

    private static void WritePt(string path, byte[] pickle, params (string Key, byte[] Bytes)[] storages)
    {
        using var file = File.Create(path);
        using var archive = new ZipArchive(file, ZipArchiveMode.Create);
        void Add(string name, byte[] content)
        {
            using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stream.Write(content);
        }
        Add("archive/data.pkl", pickle);
        Add("archive/byteorder", "little"u8.ToArray());
        foreach (var (key, bytes) in storages) Add($"archive/data/{key}", bytes);
        Add("archive/version", "3\n"u8.ToArray());
    }

    private static byte[] Floats(int count) => Enumerable.Range(0, count).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    private static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = File.OpenRead(path);
        return PickledStateDict.Read(stream, path);
    }

    private static float[,] Matrix(Tensor t)
    {
        var values = t.data<float>().ToArray();
        var (rows, columns) = ((int)t.shape[0], (int)t.shape[1]);
        var matrix = new float[rows, columns];
        for (var i = 0; i < rows; i++)
            for (var j = 0; j < columns; j++) matrix[i, j] = values[i * columns + j];
        return matrix;
    }

    [Fact]
    public void ViewsPyTorchSavedLoadAsTorchLoadGivesThem()
    {
        // views.pt, written by torch.save (make_pytorch_fixtures.py): a transposed tensor, views with a storage offset,
        // two tensors sharing one storage and a Parameter, under the archive folder 'views/'.
        var tensors = Read(PyTorchFixtures.PathOf("views.pt"));
        try
        {
            tensors.Keys.Should().Equal("transposed", "offset", "corner", "tied.weight", "tied.weight_t", "parameter");
            Matrix(tensors["transposed"]).Should().BeEquivalentTo(new float[,] { { 0, 3 }, { 1, 4 }, { 2, 5 } });
            tensors["offset"].data<float>().ToArray().Should().Equal(3, 4, 5, 6);
            tensors["corner"].dtype.Should().Be(ScalarType.Float64);
            tensors["corner"].shape.Should().Equal(3, 2);
            tensors["corner"].data<double>().ToArray().Should().Equal(4, 5, 7, 8, 10, 11);
            Matrix(tensors["tied.weight"]).Should().BeEquivalentTo(new float[,] { { 0, 1, 2 }, { 3, 4, 5 } });
            Matrix(tensors["tied.weight_t"]).Should().BeEquivalentTo(new float[,] { { 0, 3 }, { 1, 4 }, { 2, 5 } });
            Matrix(tensors["parameter"]).Should().BeEquivalentTo(new float[,] { { 0, 2 }, { 1, 3 } });
            tensors.Values.Should().OnlyContain(t => t.is_contiguous());
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Fact]
    public void ATransposedTensorLoadsWithTheValuesTorchLoadGives()
    {
        using var folder = new TempFolder();
        var path = folder.File("transposed.pt");
        // torch.arange(6.).reshape(2, 3).t(): size (3, 2), stride (1, 3) over the storage 0..5.
        WritePt(path, P.StateDict(("w", P.Tensor("FloatStorage", "0", 6, 0, [3, 2], [1, 3]))), ("0", Floats(6)));

        var tensors = Read(path);
        using var w = tensors["w"];

        w.shape.Should().Equal(3, 2);
        w.is_contiguous().Should().BeTrue();
        Matrix(w).Should().BeEquivalentTo(new float[,] { { 0, 3 }, { 1, 4 }, { 2, 5 } });
    }

    [Fact]
    public void AViewWithAStorageOffsetLoadsItsOwnElements()
    {
        using var folder = new TempFolder();
        var path = folder.File("offset.pt");
        // torch.arange(10.)[3:7] and torch.arange(10.).reshape(5, 2)[2:]: offsets 3 and 4 into their storages.
        WritePt(path, P.StateDict(
                ("b", P.Tensor("FloatStorage", "0", 10, 3, [4], [1])),
                ("m", P.Tensor("DoubleStorage", "1", 10, 4, [3, 2], [2, 1]))),
            ("0", Floats(10)), ("1", Enumerable.Range(0, 10).SelectMany(i => BitConverter.GetBytes((double)i)).ToArray()));

        var tensors = Read(path);
        using var b = tensors["b"];
        using var m = tensors["m"];

        b.data<float>().ToArray().Should().Equal(3, 4, 5, 6);
        m.dtype.Should().Be(ScalarType.Float64);
        m.shape.Should().Equal(3, 2);
        m.data<double>().ToArray().Should().Equal(4, 5, 6, 7, 8, 9);
    }

    [Fact]
    public void TwoTensorsSharingOneStorageLoadEachWithMemoryOfItsOwn()
    {
        using var folder = new TempFolder();
        var path = folder.File("tied.pt");
        // A weight and its transpose, tied: one storage, two views.
        WritePt(path, P.StateDict(
                ("encoder.weight", P.Tensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1])),
                ("decoder.weight", P.Tensor("FloatStorage", "0", 6, 0, [3, 2], [1, 3]))),
            ("0", Floats(6)));

        var tensors = Read(path);
        using var encoder = tensors["encoder.weight"];
        using var decoder = tensors["decoder.weight"];

        Matrix(encoder).Should().BeEquivalentTo(new float[,] { { 0, 1, 2 }, { 3, 4, 5 } });
        Matrix(decoder).Should().BeEquivalentTo(new float[,] { { 0, 3 }, { 1, 4 }, { 2, 5 } });
        using (no_grad()) encoder.fill_(7f);
        Matrix(decoder).Should().BeEquivalentTo(new float[,] { { 0, 3 }, { 1, 4 }, { 2, 5 } });
    }

    [Fact]
    public void AStorageClaimingFarMoreThanItsEntryHoldsIsRefusedBeforeAllocating()
    {
        using var folder = new TempFolder();
        var path = folder.File("claims.pt");
        WritePt(path, P.StateDict(("w", P.Tensor("FloatStorage", "huge", 1_000_000_000_000, 0, [1_000_000, 1_000_000], [1_000_000, 1]))),
            ("huge", Floats(4)));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var import = () => PyTorchInterop.Import(path);
        import.Should().Throw<InvalidDataException>()
            .WithMessage($"*{path}*storage 'huge'*1,000,000,000,000*4,000,000,000,000 bytes*archive/data/huge*holds 16 bytes*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(16L << 20);
    }

    [Fact]
    public void AViewRepeatingOneElementIntoAHugeTensorIsRefusedInBoundedMemory()
    {
        using var folder = new TempFolder();
        var path = folder.File("expanded.pt");
        // Stride 0 stays inside a one-element storage but would expand to 40 GB.
        WritePt(path, P.StateDict(("w", P.Tensor("FloatStorage", "0", 1, 0, [100_000, 100_000], [0, 0]))), ("0", Floats(1)));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = () => Read(path);
        read.Should().Throw<InvalidDataException>().WithMessage($"*{path}*'w'*more than the*bytes a file of this size can honestly hold*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(16L << 20);
    }

    [Theory]
    [InlineData(3, new long[] { 4 }, new long[] { 1 }, "*reaches element 7 of the storage '0', which holds 6*")]
    [InlineData(0, new long[] { 3, 3 }, new long[] { 3, 1 }, "*reaches element 9 of the storage '0', which holds 6*")]
    [InlineData(5, new long[] { 2 }, new long[] { -1 }, "*negative*")]
    public void AViewReachingPastItsStorageIsRefusedNamingTheTensor(long offset, long[] size, long[] stride, string message)
    {
        using var folder = new TempFolder();
        var path = folder.File("past.pt");
        WritePt(path, P.StateDict(("fc.weight", P.Tensor("FloatStorage", "0", 6, offset, size, stride))), ("0", Floats(6)));

        var read = () => Read(path);

        read.Should().Throw<InvalidDataException>().WithMessage($"*{path}*'fc.weight'*").WithMessage(message);
    }

    [Fact]
    public void AnUnknownGlobalIsRefusedByNameAndNeverCalled()
    {
        using var folder = new TempFolder();
        var path = folder.File("evil.pt");
        var marker = folder.File("called");
        byte[] pickle = [0x80, 2, .. P.Call(P.Global("os", "system"), P.Tuple(P.Str($"touch '{marker}'"))), (byte)'.'];
        WritePt(path, pickle);

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*global 'os.system'*refused*");
        File.Exists(marker).Should().BeFalse();
    }

    [Fact]
    public void AGlobalHiddenInsideTheStateDictIsRefusedToo()
    {
        using var folder = new TempFolder();
        var path = folder.File("builtins.pt");
        WritePt(path, P.StateDict(("w", P.Call(P.Global("builtins", "eval"), P.Tuple(P.Str("1"))))));

        var read = () => Read(path);

        read.Should().Throw<InvalidDataException>().WithMessage($"*{path}*global 'builtins.eval'*");
    }
}
