using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Vae.Core.Tests.Data;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Interop;

/// <summary>Files made to exhaust time or memory, or to load wrong weights quietly, are refused naming the file.</summary>
public sealed class HostileFileTests
{
    private static void WriteSafetensors(string path, string headerJson, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[dataBytes]]);
    }

    private static string F32(string name, int count, long begin) =>
        $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{count}],\"data_offsets\":[{begin},{begin + 4 * count}]}}";

    [Fact]
    public void ASafetensorsHeaderOfAHundredThousandEntriesIsRefusedQuicklyWithAShortMessage()
    {
        using var folder = new TempFolder();
        var path = folder.File("many.safetensors");
        var entries = Enumerable.Range(0, 100_000).Select(i => F32($"t{i}", 1, 4L * i));
        WriteSafetensors(path, "{" + string.Join(",", entries) + "}", 400_000);

        var watch = Stopwatch.StartNew();
        var import = () => PyTorchInterop.Import(path);
        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*more than 4,096 tensors*")
            .Which.Message.Length.Should().BeLessThan(1000);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void AMismatchOfThousandsOfKeysListsAFewAndCountsTheRest()
    {
        using var folder = new TempFolder();
        var path = folder.File("unexpected.safetensors");
        var entries = Enumerable.Range(0, 4000).Select(i => F32($"t{i}", 1, 4L * i));
        WriteSafetensors(path, "{" + string.Join(",", entries) + "}", 16_000);

        var watch = Stopwatch.StartNew();
        var import = () => PyTorchInterop.Import(path);
        var thrown = import.Should().Throw<StateDictMismatchException>().WithMessage($"*{path}*and 3,980 more*").Which;
        thrown.Message.Length.Should().BeLessThan(3000);
        thrown.UnexpectedKeys.Should().HaveCount(4000);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("{" + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "*'a'*'b'*overlap*")]
    [InlineData("{" + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "*'a'*[0, 8)*'b'*[4, 12)*overlap*")]
    [InlineData("{" + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20, "*[8, 12)*'b'*no tensor*")]
    [InlineData("{" + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 20, "*4 bytes follow the 16 bytes*")]
    public void SafetensorsRangesMustTileTheDataWithoutOverlapsGapsOrTrailingBytes(string header, int dataBytes, string message)
    {
        using var folder = new TempFolder();
        var path = folder.File("ranges.safetensors");
        WriteSafetensors(path, header, dataBytes);

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*").WithMessage(message);
    }

    [Theory]
    [InlineData(".safetensors", float.NaN, "NaN")]
    [InlineData(".pt", float.PositiveInfinity, "Infinity")]
    [InlineData(".pt", float.NegativeInfinity, "-Infinity")]
    public void ANonFiniteWeightIsRefusedNamingTheTensorAndTheFlatIndex(string extension, float value, string shown)
    {
        using var folder = new TempFolder();
        var path = folder.File("bad" + extension);
        using (var model = new VariationalAutoencoder(new VaeOptions { InputSize = 5, HiddenSizes = [4], LatentSize = 2 }))
        {
            using (no_grad()) model.state_dict()["decoder.layers.fc1.weight"].view(-1)[5] = tensor(value);
            PyTorchInterop.Export(model, path);
        }

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*decoder.layers.fc1.weight*flat index 5 is {shown};*finite*");
    }

    private static byte[] Zip(params (string Name, byte[] Content, CompressionLevel Level)[] entries)
    {
        using var memory = new MemoryStream();
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content, level) in entries)
            {
                using var stream = archive.CreateEntry(name, level).Open();
                stream.Write(content);
            }
        }
        return memory.ToArray();
    }

    private static void SetUncompressedSizes(byte[] zip, uint size)
    {
        // Local headers (PK\3\4) keep it at offset 22, central directory headers (PK\1\2) at 24.
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4) BitConverter.TryWriteBytes(zip.AsSpan(i + 22, 4), size);
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 1 && zip[i + 3] == 2) BitConverter.TryWriteBytes(zip.AsSpan(i + 24, 4), size);
        }
    }

    [Fact]
    public void APtWhoseEntriesInflateFarBeyondTheFileIsRefusedBeforeDecodingInBoundedMemory()
    {
        using var folder = new TempFolder();
        var path = folder.File("bomb.pt");
        File.WriteAllBytes(path, Zip(("archive/data.pkl", [0x80, 2, (byte)'}', (byte)'.'], CompressionLevel.NoCompression),
            ("archive/data/0", new byte[256 << 20], CompressionLevel.SmallestSize)));
        new FileInfo(path).Length.Should().BeLessThan(2 << 20);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var import = () => PyTorchInterop.Import(path);
        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*archive/data/0*declares 268,435,456 uncompressed bytes*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(16L << 20);
    }

    [Fact]
    public void APtWhoseEntryInflatesBeyondItsDeclaredSizeIsRefusedInBoundedMemory()
    {
        using var folder = new TempFolder();
        var path = folder.File("liar.pt");
        var zip = Zip(("archive/data/0", new byte[64 << 20], CompressionLevel.SmallestSize));
        SetUncompressedSizes(zip, 1000);
        File.WriteAllBytes(path, zip);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var import = () => PyTorchInterop.Import(path);
        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(16L << 20);
    }

    [Fact]
    public void APtOfTooManyEntriesIsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("entries.pt");
        File.WriteAllBytes(path, Zip(Enumerable.Range(0, 5000).Select(i => ($"archive/data/{i}", Array.Empty<byte>(), CompressionLevel.NoCompression)).ToArray()));

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*5,000 entries*");
    }

    [Fact]
    public void AVaeFileWithANonFiniteWeightIsRefusedAndLeavesAModelItWouldLoadIntoUnchanged()
    {
        using var folder = new TempFolder();
        var path = folder.File("nan.vae");
        var options = new VaeOptions { InputSize = 5, HiddenSizes = [4], LatentSize = 2 };
        using (var model = new VariationalAutoencoder(options))
        {
            using (no_grad()) model.state_dict()["encoder.mean.bias"].view(-1)[1] = tensor(float.NaN);
            model.Save(path);
        }

        var load = () => VariationalAutoencoder.Load(path);
        load.Should().Throw<InvalidDataException>().WithMessage($"*{path}*encoder.mean.bias*flat index 1 is NaN*");

        using var target = new VariationalAutoencoder(options);
        using var before = target.state_dict()["encoder.hidden.fc1.weight"].clone();
        var loadWeights = () => VaeModelFile.LoadWeights(target, path);
        loadWeights.Should().Throw<InvalidDataException>().WithMessage($"*{path}*encoder.mean.bias*");
        target.state_dict()["encoder.hidden.fc1.weight"].allclose(before, rtol: 0, atol: 0).Should().BeTrue();
    }
}
