using FluentAssertions;
using TorchSharp;
using Vae.Core.Data;
using Xunit;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data;

public sealed class MnistDatasetTests
{
    [Fact]
    public void LoadFindsGzipAndRawFilesMixedInOneFolder()
    {
        using var dir = new TempFolder();
        File.Copy(Path.Combine(TestData.MnistDirectory, MnistFiles.TestImages + ".gz"), dir.File(MnistFiles.TestImages + ".gz"));
        File.WriteAllBytes(dir.File(MnistFiles.TestLabels),
            Idx.Gunzip(Path.Combine(TestData.MnistDirectory, MnistFiles.TestLabels + ".gz")));

        using var data = MnistDataset.Load(dir.Path, MnistSplit.Test);

        data.Count.Should().Be(2000);
    }

    [Fact]
    public void MissingFilesGiveFileNotFoundNamingFolderAndExpectedNames()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File(MnistFiles.TrainImages), Idx.Images(2, 28, 28));

        var load = () => MnistDataset.Load(dir.Path, MnistSplit.Train);

        load.Should().Throw<FileNotFoundException>().Which.Message.Should()
            .Contain(dir.Path).And.Contain(MnistFiles.TrainLabels).And.Contain(MnistFiles.TrainImages);
    }

    [Fact]
    public void MissingFolderGivesFileNotFoundNamingIt()
    {
        using var dir = new TempFolder();
        var missing = dir.File("no-such-folder");

        var load = () => MnistDataset.Load(missing, MnistSplit.Test);

        load.Should().Throw<FileNotFoundException>().Which.Message.Should()
            .Contain(missing).And.Contain(MnistFiles.TestImages).And.Contain(MnistFiles.TestLabels);
    }

    [Fact]
    public void MissingFolderSaysWhereMnistComesFrom()
    {
        using var dir = new TempFolder();

        var load = () => MnistDataset.Load(dir.File("no-such-folder"), MnistSplit.Train);

        load.Should().Throw<FileNotFoundException>().Which.Message.Should()
            .Contain("MnistDownloader.DownloadAsync").And.Contain("samples/data/mnist-10k");
    }

    [Fact]
    public void ImageAndLabelCountMismatchGivesInvalidDataNamingBothFiles()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File(MnistFiles.TestImages), Idx.Images(5, 28, 28));
        File.WriteAllBytes(dir.File(MnistFiles.TestLabels), Idx.Labels(4));

        var load = () => MnistDataset.Load(dir.Path, MnistSplit.Test);

        load.Should().Throw<InvalidDataException>().Which.Message.Should()
            .Contain(dir.File(MnistFiles.TestImages)).And.Contain(dir.File(MnistFiles.TestLabels));
    }

    [Fact]
    public void ImagesThatAreNot28By28GiveInvalidDataNamingTheFile()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File(MnistFiles.TestImages), Idx.Images(4, 28, 27));
        File.WriteAllBytes(dir.File(MnistFiles.TestLabels), Idx.Labels(4));

        var load = () => MnistDataset.Load(dir.Path, MnistSplit.Test);

        load.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(dir.File(MnistFiles.TestImages));
    }

    [Fact]
    public void WithoutDigitKeepsEveryOtherDigitInOrder()
    {
        using var data = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);
        var labels = data.Labels.data<long>().ToArray();
        var kept = Enumerable.Range(0, labels.Length).Where(i => labels[i] != 7).ToArray();

        using var subset = data.WithoutDigit(7);

        subset.Count.Should().Be(kept.Length);
        subset.Labels.data<long>().ToArray().Should().Equal(kept.Select(i => labels[i]));
        using var scope = NewDisposeScope();
        foreach (var (row, original) in new[] { (0, kept[0]), (kept.Length / 2, kept[kept.Length / 2]), (kept.Length - 1, kept[^1]) })
            Tensors.Identical(subset.Images[row], data.Images[original]).Should().BeTrue();
    }

    [Fact]
    public void WithDigitsKeepsOnlyThoseDigits()
    {
        using var data = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);
        var labels = data.Labels.data<long>().ToArray();

        using var subset = data.WithDigits(1, 3);

        subset.Labels.data<long>().ToArray().Should().Equal(labels.Where(l => l is 1 or 3));
        subset.Images.shape.Should().Equal(subset.Count, 784);
    }

    [Fact]
    public void DigitsOutsideZeroToNineAreRejected()
    {
        using var data = new MnistDataset(zeros(3, 784), tensor(new long[] { 0, 1, 2 }));

        data.Invoking(d => d.WithoutDigit(10)).Should().Throw<ArgumentOutOfRangeException>();
        data.Invoking(d => d.WithDigits(-1)).Should().Throw<ArgumentOutOfRangeException>();
        data.Invoking(d => d.WithDigits()).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void DatasetOutlivesTheDisposeScopeItWasLoadedInAndDisposeFreesItsTensors()
    {
        MnistDataset data;
        using (NewDisposeScope())
            data = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);

        var (images, labels) = (data.Images, data.Labels);
        images.IsInvalid.Should().BeFalse();
        labels.IsInvalid.Should().BeFalse();
        data.Dispose();
        images.IsInvalid.Should().BeTrue();
        labels.IsInvalid.Should().BeTrue();
    }

    public static TheoryData<string> Members => new() { "Images", "Labels", "Count", "WithDigits", "WithoutDigit" };

    [Theory]
    [MemberData(nameof(Members))]
    public void EveryMemberOfADisposedDatasetThrowsObjectDisposed(string member)
    {
        var data = new MnistDataset(zeros(3, 784), tensor(new long[] { 0, 1, 2 }));
        data.Dispose();
        data.Dispose(); // a second Dispose is harmless
        Action act = member switch
        {
            "Images" => () => _ = data.Images,
            "Labels" => () => _ = data.Labels,
            "Count" => () => _ = data.Count,
            "WithDigits" => () => data.WithDigits(1),
            "WithoutDigit" => () => data.WithoutDigit(1),
            _ => throw new ArgumentOutOfRangeException(nameof(member), member, null),
        };
        act.Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Be(nameof(MnistDataset));
    }
}
