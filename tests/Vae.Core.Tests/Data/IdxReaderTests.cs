using System.Buffers.Binary;
using FluentAssertions;
using TorchSharp;
using Vae.Core.Data;
using Xunit;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data;

public sealed class IdxReaderTests
{
    private static string Shipped(string name) => Path.Combine(TestData.MnistDirectory, name + ".gz");

    [Theory]
    [InlineData(MnistSplit.Train, 8000)]
    [InlineData(MnistSplit.Test, 2000)]
    public void ShippedSplitHasExpectedCountOfUnitIntervalImagesAndDigitLabels(MnistSplit split, int count)
    {
        using var data = MnistDataset.Load(TestData.MnistDirectory, split);
        using var scope = NewDisposeScope();

        data.Images.shape.Should().Equal(count, 784);
        data.Images.dtype.Should().Be(ScalarType.Float32);
        data.Labels.shape.Should().Equal(count);
        data.Labels.dtype.Should().Be(ScalarType.Int64);
        data.Images.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        data.Images.max().item<float>().Should().BeLessThanOrEqualTo(1f);
        var labels = data.Labels.data<long>().ToArray();
        labels.Should().OnlyContain(l => l >= 0 && l <= 9);
        labels.Distinct().Should().HaveCount(10, "a shuffled sample of thousands of digits holds every digit");
    }

    [Theory]
    [InlineData(MnistFiles.TrainImages, MnistFiles.TrainLabels)]
    [InlineData(MnistFiles.TestImages, MnistFiles.TestLabels)]
    public void EveryPixelAndLabelMatchesTheDecompressedBytes(string imagesName, string labelsName)
    {
        var rawImages = Idx.Gunzip(Shipped(imagesName));
        var rawLabels = Idx.Gunzip(Shipped(labelsName));
        var count = BinaryPrimitives.ReadInt32BigEndian(rawImages.AsSpan(4));

        using var images = IdxReader.ReadImages(Shipped(imagesName));
        using var labels = IdxReader.ReadLabels(Shipped(labelsName));

        var pixels = images.data<float>().ToArray();
        pixels.Should().HaveCount(count * 784);
        var worst = 0.0;
        for (var i = 0; i < pixels.Length; i++)
            worst = Math.Max(worst, Math.Abs(pixels[i] - rawImages[16 + i] / 255.0));
        worst.Should().BeLessThan(1e-6, "each pixel is its byte / 255 (not / 256)");
        var brightest = Array.IndexOf(rawImages, (byte)255, 16) - 16;
        brightest.Should().BeGreaterThanOrEqualTo(0, "MNIST digits contain fully dark pixels");
        pixels[brightest].Should().BeApproximately(1f, 1e-6f);

        labels.data<long>().ToArray().Should().Equal(rawLabels.Skip(8).Select(b => (long)b));
    }

    [Fact]
    public void RawAndGzipCopiesReadIdentically()
    {
        using var dir = new TempFolder();
        foreach (var name in new[] { MnistFiles.TestImages, MnistFiles.TestLabels })
            File.WriteAllBytes(dir.File(name), Idx.Gunzip(Shipped(name)));

        using var raw = MnistDataset.Load(dir.Path, MnistSplit.Test);
        using var gzip = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);

        Tensors.Identical(raw.Images, gzip.Images).Should().BeTrue();
        Tensors.Identical(raw.Labels, gzip.Labels).Should().BeTrue();
    }

    [Fact]
    public void GzipIsRecognisedByContentNotByName()
    {
        using var dir = new TempFolder();
        // A gzip file without .gz and a raw file with .gz: both must still be read.
        File.Copy(Shipped(MnistFiles.TestLabels), dir.File("labels.bin"));
        File.WriteAllBytes(dir.File("labels.gz"), Idx.Gunzip(Shipped(MnistFiles.TestLabels)));

        using var a = IdxReader.ReadLabels(dir.File("labels.bin"));
        using var b = IdxReader.ReadLabels(dir.File("labels.gz"));

        a.shape.Should().Equal(2000);
        Tensors.Identical(a, b).Should().BeTrue();
    }

    public static TheoryData<string> CorruptImageFiles => new()
    {
        "bad magic", "labels magic", "wrong data type", "wrong dimension count", "zero rows", "huge columns",
        "zero count", "negative count", "truncated", "trailing bytes", "header only partly present",
        "broken gzip", "truncated gzip", "gzip of garbage", "empty", "text", "one byte",
    };

    [Theory]
    [MemberData(nameof(CorruptImageFiles))]
    public void CorruptImageFileGivesInvalidDataNamingTheFile(string corruption)
    {
        using var dir = new TempFolder();
        var path = dir.File("images-" + corruption.Replace(' ', '-'));
        File.WriteAllBytes(path, CorruptImages(corruption));

        var read = () => IdxReader.ReadImages(path);

        read.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(path);
    }

    public static TheoryData<string> CorruptLabelFiles => new()
    {
        "images magic", "label out of range", "truncated", "trailing bytes", "zero count", "empty",
    };

    [Theory]
    [MemberData(nameof(CorruptLabelFiles))]
    public void CorruptLabelFileGivesInvalidDataNamingTheFile(string corruption)
    {
        using var dir = new TempFolder();
        var path = dir.File("labels-" + corruption.Replace(' ', '-'));
        var good = Idx.Labels(20);
        var bytes = corruption switch
        {
            "images magic" => Idx.Images(2, 2, 5),
            "label out of range" => Idx.Labels(20, i => (byte)(i == 13 ? 10 : i % 10)),
            "truncated" => good[..^1],
            "trailing bytes" => [.. good, 0],
            "zero count" => Idx.Header(0x801, 0),
            "empty" => [],
            _ => throw new ArgumentOutOfRangeException(nameof(corruption)),
        };
        File.WriteAllBytes(path, bytes);

        var read = () => IdxReader.ReadLabels(path);

        read.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(path);
    }

    [Fact]
    public void TruncationMessageSaysHowManyBytesWereExpectedAndFound()
    {
        using var dir = new TempFolder();
        var path = dir.File("short");
        var good = Idx.Images(3, 4, 5);
        File.WriteAllBytes(path, good[..^7]);

        var read = () => IdxReader.ReadImages(path);

        read.Should().Throw<InvalidDataException>().Which.Message.Should()
            .Contain("truncated").And.Contain(good.Length.ToString()).And.Contain((good.Length - 7).ToString());
    }

    [Fact]
    public void SmallValidFileReadsAsBytesOver255InRowMajorOrder()
    {
        using var dir = new TempFolder();
        var path = dir.File("tiny.gz");
        var file = Idx.Images(3, 2, 4, i => (byte)(i * 11));
        File.WriteAllBytes(path, Idx.Gzip(file));

        using var images = IdxReader.ReadImages(path);

        images.shape.Should().Equal(3, 8);
        images.data<float>().ToArray().Should().Equal(
            file.Skip(16).Select(b => b / 255f), (a, e) => Math.Abs(a - e) < 1e-6f);
    }

    [Fact]
    public void MissingFileGivesFileNotFoundNamingThePath()
    {
        using var dir = new TempFolder();
        var path = dir.File("nothing-here");

        var read = () => IdxReader.ReadImages(path);

        read.Should().Throw<FileNotFoundException>().Which.Message.Should().Contain(path);
    }

    private static byte[] CorruptImages(string corruption)
    {
        var good = Idx.Images(4, 3, 5);
        var shipped = File.ReadAllBytes(Shipped(MnistFiles.TestImages));
        return corruption switch
        {
            "bad magic" => [.. Idx.Header(0x12345678, 4, 3, 5), .. good[16..]],
            "labels magic" => [.. Idx.Header(0x801, 4, 3, 5), .. good[16..]],
            "wrong data type" => [.. Idx.Header(0x0d03, 4, 3, 5), .. good[16..]],
            "wrong dimension count" => [.. Idx.Header(0x802, 4, 15), .. good[16..]],
            "zero rows" => [.. Idx.Header(0x803, 4, 0, 5)],
            "huge columns" => [.. Idx.Header(0x803, 4, 3, 1 << 20), .. good[16..]],
            "zero count" => Idx.Header(0x803, 0, 3, 5),
            "negative count" => [.. Idx.Header(0x803, -4, 3, 5), .. good[16..]],
            "truncated" => good[..^1],
            "trailing bytes" => [.. good, 1, 2, 3],
            "header only partly present" => good[..10],
            // Flipping bytes in the middle of the deflate data breaks the stream or its CRC-32.
            "broken gzip" => Flip(shipped, shipped.Length / 2, 64),
            "truncated gzip" => shipped[..(shipped.Length / 2)],
            "gzip of garbage" => [0x1f, 0x8b, .. "not really compressed data"u8.ToArray()],
            "empty" => [],
            "text" => "This is a text file, not MNIST.\nSecond line.\n"u8.ToArray(),
            "one byte" => [0],
            _ => throw new ArgumentOutOfRangeException(nameof(corruption)),
        };
    }

    private static byte[] Flip(byte[] bytes, int offset, int count)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = offset; i < offset + count; i++) copy[i] ^= 0x5a;
        return copy;
    }

    /// <summary>A header announcing 2,739,000 images of 28 x 28 (2.1 GB) over 6 MB of pixels.</summary>
    private static byte[] HeaderClaimingFarMoreThanTheFileHolds() =>
        [.. Idx.Header(0x803, 2_739_000, 28, 28), .. new byte[6_000_000]];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AHeaderClaimingMoreImagesThanTheFileHoldsIsTruncatedWithoutAllocatingWhatItClaims(bool gzip)
    {
        using var dir = new TempFolder();
        var path = dir.File(gzip ? "claims-too-much.gz" : "claims-too-much");
        var file = HeaderClaimingFarMoreThanTheFileHolds();
        File.WriteAllBytes(path, gzip ? Idx.Gzip(file) : file);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = () => IdxReader.ReadImages(path);
        var message = read.Should().Throw<InvalidDataException>().Which.Message;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        message.Should().Contain(path).And.Contain("truncated").And.Contain("2739000 x 28 x 28").And.Contain("6000016");
        allocated.Should().BeLessThan(4L * file.Length, "memory follows the bytes present, not the count the header claims");
    }
}
