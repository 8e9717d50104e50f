using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

public sealed class VaeModelFileTests : IDisposable
{
    private static readonly VaeOptions SmallOptions = new() { InputSize = 12, HiddenSizes = [8, 6], LatentSize = 3 };
    private readonly string directory = Directory.CreateTempSubdirectory("vae-file-tests-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathFor(string name) => Path.Combine(directory, name);

    private static VariationalAutoencoder NewModel(VaeOptions options, int seed)
    {
        torch.manual_seed(seed);
        return new VariationalAutoencoder(options);
    }

    private string SavedFile(out VariationalAutoencoder model)
    {
        model = NewModel(SmallOptions, 1);
        var path = PathFor("model.vae");
        model.Save(path);
        return path;
    }

    [Fact]
    public void LoadedModelHasTheSavedArchitectureAndGivesTheSameOutputs()
    {
        using var scope = NewDisposeScope();
        var path = SavedFile(out var saved);
        using var _ = saved;
        using var loaded = VariationalAutoencoder.Load(path);

        loaded.Options.Should().Be(SmallOptions);
        var input = rand([5, SmallOptions.InputSize], generator: new Generator(3));
        var expected = saved.Forward(input, new Generator(11));
        var actual = loaded.Forward(input, new Generator(11));
        TensorAssert.Identical(actual.DecoderOutput, expected.DecoderOutput).Should().BeTrue();
        TensorAssert.Identical(actual.Mean, expected.Mean).Should().BeTrue();
        TensorAssert.Identical(actual.LogVariance, expected.LogVariance).Should().BeTrue();
    }

    [Fact]
    public void LoadingDoesNotAdvanceTheGlobalGenerator()
    {
        using var scope = NewDisposeScope();
        var path = SavedFile(out var saved);
        saved.Dispose();
        torch.manual_seed(5);
        var expected = rand(4);
        torch.manual_seed(5);
        using (VariationalAutoencoder.Load(path))
        {
            TensorAssert.Identical(rand(4), expected).Should().BeTrue();
        }
    }

    [Fact]
    public void AnotherProcessLoadsTheFileAndReconstructsLikeTheSavedModel()
    {
        var options = new VaeOptions { InputSize = 7, HiddenSizes = [5], LatentSize = 2 };
        using var model = NewModel(options, 21);
        var path = PathFor("for another process.vae");
        model.Save(path);
        var expected = ModelFileProbe.Reconstruction(model);

        var (exitCode, output, error) = ModelFileProbe.RunInSeparateProcess(path);

        exitCode.Should().Be(0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines[0].Should().Be(options.ToString());
        lines.Skip(1).Select(line => float.Parse(line, System.Globalization.CultureInfo.InvariantCulture))
            .Should().Equal(expected, (a, b) => Math.Abs(a - b) <= 1e-6f);
    }

    [Fact]
    public void AnotherProcessReportsACorruptedFile()
    {
        var path = SavedFile(out var saved);
        saved.Dispose();
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 1;
        File.WriteAllBytes(path, bytes);

        var (exitCode, _, error) = ModelFileProbe.RunInSeparateProcess(path);

        exitCode.Should().Be(1);
        error.Should().Contain("corrupted").And.Contain(path);
    }

    [Fact]
    public void EveryTensorOfTheStateDictSurvivesTheRoundTripBitForBit()
    {
        var path = SavedFile(out var saved);
        using var _ = saved;
        using var loaded = VaeModelFile.Load(path);
        var expected = saved.state_dict();
        var actual = loaded.state_dict();
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, tensor) in expected)
            TensorAssert.Identical(actual[name], tensor).Should().BeTrue($"tensor {name} must be restored exactly");
    }

    [Fact]
    public void DoublePrecisionModelComesBackInDoublePrecision()
    {
        using var model = NewModel(SmallOptions, 2);
        model.to(ScalarType.Float64);
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        using var loaded = VariationalAutoencoder.Load(stream);
        foreach (var (name, tensor) in model.state_dict())
        {
            var restored = loaded.state_dict()[name];
            restored.dtype.Should().Be(ScalarType.Float64);
            TensorAssert.Identical(restored, tensor).Should().BeTrue();
        }
    }

    [Fact]
    public void StreamOverloadReadsExactlyOneModelSoSeveralCanFollowEachOther()
    {
        using var first = NewModel(SmallOptions, 3);
        var otherOptions = new VaeOptions { InputSize = 5, HiddenSizes = [], LatentSize = 2 };
        using var second = NewModel(otherOptions, 4);
        using var stream = new MemoryStream();
        first.Save(stream);
        second.Save(stream);
        stream.Position = 0;

        using var a = VaeModelFile.Load(stream);
        using var b = VaeModelFile.Load(stream);
        a.Options.Should().Be(SmallOptions);
        b.Options.Should().Be(otherOptions);
        stream.Position.Should().Be(stream.Length);
        TensorAssert.Identical(b.state_dict()["decoder.layers.fc1.weight"], second.state_dict()["decoder.layers.fc1.weight"]).Should().BeTrue();
    }

    [Fact]
    public void LoadWeightsOverwritesAnExistingModelOfTheSameArchitecture()
    {
        var path = SavedFile(out var saved);
        using var _ = saved;
        using var target = NewModel(SmallOptions, 99);
        target.LoadWeights(path);
        foreach (var (name, tensor) in saved.state_dict())
            TensorAssert.Identical(target.state_dict()[name], tensor).Should().BeTrue();
    }

    [Fact]
    public void TruncatedFileIsReportedAsTruncatedNamingTheFile()
    {
        var path = SavedFile(out var saved);
        saved.Dispose();
        var bytes = File.ReadAllBytes(path);
        foreach (var length in new[] { bytes.Length - 1, bytes.Length / 2, 30, 5 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            var act = () => VariationalAutoencoder.Load(path);
            act.Should().Throw<InvalidDataException>($"a file cut to {length} bytes is truncated")
                .Which.Message.Should().Contain("truncated").And.Contain(path);
        }
    }

    [Fact]
    public void FlippedByteIsReportedAsCorruptedByTheChecksum()
    {
        var path = SavedFile(out var saved);
        saved.Dispose();
        var bytes = File.ReadAllBytes(path);
        bytes[^100] ^= 0x40; // inside a tensor's data, past the header and the architecture
        File.WriteAllBytes(path, bytes);

        var act = () => VariationalAutoencoder.Load(path);
        act.Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("corrupted").And.Contain("checksum").And.Contain(path);
    }

    [Fact]
    public void UnknownFormatVersionIsReportedWithBothVersions()
    {
        var path = SavedFile(out var saved);
        saved.Dispose();
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes(VaeModelFile.FormatVersion + 41).CopyTo(bytes, 8); // the version follows the 8-byte identifier
        File.WriteAllBytes(path, bytes);

        var act = () => VariationalAutoencoder.Load(path);
        act.Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain($"version {VaeModelFile.FormatVersion + 41}")
            .And.Contain($"only version {VaeModelFile.FormatVersion}").And.Contain(path);
    }

    [Theory]
    [InlineData("just some text, not a model at all")]
    [InlineData("")]
    [InlineData("VAEMODXL and more")]
    public void FileThatIsNotAModelIsReportedAsSuch(string contents)
    {
        var path = PathFor("other.txt");
        File.WriteAllText(path, contents, new UTF8Encoding(false));
        var act = () => VariationalAutoencoder.Load(path);
        act.Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("not a Vae model file").And.Contain(path);
    }

    [Fact]
    public void StreamErrorsNameTheSourceGiven()
    {
        using var stream = new MemoryStream("garbage"u8.ToArray());
        var act = () => VaeModelFile.Load(stream, "checkpoint blob 17");
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("checkpoint blob 17");
    }

    [Fact]
    public void LoadWeightsIntoAnotherArchitectureNamesTheTensorAndBothShapes()
    {
        var path = SavedFile(out var saved);
        using var _ = saved;
        using var other = NewModel(SmallOptions with { HiddenSizes = [5, 6] }, 5);
        var before = other.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());

        // The first tensor, in state-dict order, whose shape differs between the two models.
        var (name, expectedShape) = other.state_dict()
            .Select(p => (p.Key, p.Value.shape))
            .First(p => !p.shape.SequenceEqual(saved.state_dict()[p.Key].shape));
        var foundShape = saved.state_dict()[name].shape;

        var act = () => other.LoadWeights(path);
        act.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain($"'{name}'")
            .And.Contain($"model expects shape [{string.Join(", ", expectedShape)}]")
            .And.Contain($"shape [{string.Join(", ", foundShape)}] in the file")
            .And.Contain(path);
        foreach (var (key, tensor) in other.state_dict())
            TensorAssert.Identical(tensor, before[key]).Should().BeTrue("a failed load must leave the model unchanged");
        foreach (var tensor in before.Values) tensor.Dispose();
    }

    [Fact]
    public void LoadWeightsIntoAModelWithMoreLayersNamesTheMissingTensor()
    {
        var path = SavedFile(out var saved);
        using var _ = saved;
        using var deeper = NewModel(SmallOptions with { HiddenSizes = [8, 6, 4] }, 6);
        var missing = deeper.state_dict().Keys.First(k => !saved.state_dict().ContainsKey(k));
        var act = () => deeper.LoadWeights(path);
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain($"no tensor '{missing}'");
    }

    [Fact]
    public void SaveReplacesAnExistingFile()
    {
        var path = SavedFile(out var first);
        first.Dispose();
        using var second = NewModel(SmallOptions with { LatentSize = 4 }, 8);
        second.Save(path);
        VaeModelFile.ReadOptions(path).Should().Be(second.Options);
        TemporaryFiles().Should().BeEmpty();
    }

    [Fact]
    public void FailedWriteLeavesTheExistingFileUntouchedAndNoTemporaryFile()
    {
        var path = PathFor("model.vae");
        var original = "the previous model"u8.ToArray();
        File.WriteAllBytes(path, original);

        var act = () => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("simulated: disk full");
        });

        act.Should().Throw<IOException>().WithMessage("simulated: disk full");
        File.ReadAllBytes(path).Should().Equal(original);
        TemporaryFiles().Should().BeEmpty();
    }

    [Fact]
    public void ConcurrentWritesOfOneFileAllSucceedAndLeaveOneWholeContent()
    {
        // Two runs saving into one folder: neither may fail because of the other, nor leave a mix of both.
        var path = PathFor("checkpoint.ckpt");
        var contents = Enumerable.Range(1, 8).Select(i => Enumerable.Repeat((byte)i, 1 << 18).ToArray()).ToArray();

        Parallel.ForEach(contents, new ParallelOptions { MaxDegreeOfParallelism = 8 }, content =>
        {
            for (var round = 0; round < 5; round++) AtomicFile.Write(path, stream => stream.Write(content));
        });

        var written = File.ReadAllBytes(path);
        contents.Should().ContainSingle(content => content.SequenceEqual(written));
        TemporaryFiles().Should().BeEmpty();
    }

    [Fact]
    public void AFailedWriteRemovesOnlyItsOwnTemporaryFile()
    {
        var path = PathFor("model.vae");
        var othersTemporary = path + ".another-writer" + VaeModelFile.TemporarySuffix;
        File.WriteAllText(othersTemporary, "being written by another process");
        string? ownTemporary = null;

        var act = () => AtomicFile.Write(path, stream =>
        {
            ownTemporary = ((FileStream)stream).Name;
            throw new IOException("simulated: disk full");
        });

        act.Should().Throw<IOException>();
        ownTemporary.Should().EndWith(VaeModelFile.TemporarySuffix).And.StartWith(path);
        File.Exists(ownTemporary).Should().BeFalse();
        File.ReadAllText(othersTemporary).Should().Be("being written by another process");
    }

    private string[] TemporaryFiles() => Directory.GetFiles(directory, "*" + VaeModelFile.TemporarySuffix);

    [Fact]
    public void ALeftoverTemporaryFileOfACrashedSaveNeitherBlocksTheNextSaveNorIsTouchedByIt()
    {
        var path = SavedFile(out var saved);
        saved.Dispose();
        // What a save killed mid-write used to leave under the one fixed temporary name.
        var leftover = path + VaeModelFile.TemporarySuffix;
        Directory.CreateDirectory(leftover);
        using var other = NewModel(SmallOptions with { LatentSize = 5 }, 9);

        other.Save(path);

        VaeModelFile.ReadOptions(path).LatentSize.Should().Be(5);
        Directory.Exists(leftover).Should().BeTrue();
    }

    [Fact]
    public void SaveIntoAPathWhoseDirectoryIsAFileFails()
    {
        var notADirectory = PathFor("plain-file");
        File.WriteAllText(notADirectory, "x");
        using var model = NewModel(SmallOptions, 10);
        var act = () => model.Save(Path.Combine(notADirectory, "model.vae"));
        act.Should().Throw<IOException>();
        File.ReadAllText(notADirectory).Should().Be("x");
    }

    [Fact]
    public void ArchitectureJsonWithoutNewerFieldsGetsTheDefaults()
    {
        var defaults = new VaeOptions();
        var options = VaeModelFile.ParseOptions("""{"InputSize":30}""", "test");
        options.InputSize.Should().Be(30);
        options.HiddenSizes.Should().Equal(defaults.HiddenSizes);
        options.LatentSize.Should().Be(defaults.LatentSize);
    }

    [Fact]
    public void ArchitectureJsonWithFieldsThisVersionDoesNotKnowIsRead()
    {
        var options = VaeModelFile.ParseOptions(
            """{"InputSize":30,"HiddenSizes":[7,5],"LatentSize":4,"Posterior":"InverseAutoregressive","Flow":{"Name":"Planar","Layers":3}}""", "test");
        options.Should().Be(new VaeOptions { InputSize = 30, HiddenSizes = [7, 5], LatentSize = 4 });
    }

    [Fact]
    public void ArchitectureJsonRoundTripsThroughTheSerializer()
    {
        VaeModelFile.ParseOptions(VaeModelFile.SerializeOptions(SmallOptions), "test").Should().Be(SmallOptions);
    }

    [Fact]
    public void ArchitectureJsonFromBeforeConvolutionsAndLikelihoodsIsAnMlpWithBernoulliPixels()
    {
        var options = VaeModelFile.ParseOptions("""{"InputSize":784,"HiddenSizes":[400],"LatentSize":20}""", "old.vae");
        options.Architecture.Should().Be(VaeArchitecture.Mlp);
        options.Likelihood.Should().Be(VaeLikelihood.Bernoulli);
        options.LearnGaussianVariance.Should().BeFalse();
        options.Should().Be(new VaeOptions());
        options.ToString().Should().Be("784-400-20");
    }

    [Fact]
    public void AModelFileWrittenBeforeConvolutionsAndLikelihoodsLoadsAsTheSameMlp()
    {
        using var scope = NewDisposeScope();
        var path = SavedFile(out var saved);
        using var _ = saved;
        var oldPath = PathFor("old-format.vae");
        File.WriteAllBytes(oldPath, WithArchitectureJson(File.ReadAllBytes(path), """{"InputSize":12,"HiddenSizes":[8,6],"LatentSize":3}"""));

        using var loaded = VariationalAutoencoder.Load(oldPath);

        loaded.Options.Should().Be(SmallOptions);
        var input = rand([4, SmallOptions.InputSize], generator: new Generator(3));
        TensorAssert.Identical(loaded.Reconstruct(input), saved.Reconstruct(input)).Should().BeTrue();
    }

    [Fact]
    public void ConvolutionalGaussianArchitectureRoundTripsThroughJsonWithNamedEnums()
    {
        var options = new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, InputSize = 3 * 16 * 12, ImageChannels = 3, ImageHeight = 16, ImageWidth = 12,
            ConvChannels = [8, 16, 24], HiddenSizes = [], LatentSize = 5, Likelihood = VaeLikelihood.Gaussian, GaussianVariance = 0.25,
        };
        var json = VaeModelFile.SerializeOptions(options);
        json.Should().Contain("\"Convolutional\"").And.Contain("\"Gaussian\"");
        VaeModelFile.ParseOptions(json, "test").Should().Be(options);
        options.Should().NotBe(options with { LearnGaussianVariance = true });
        options.Should().NotBe(options with { ConvChannels = [8, 16, 32] });
    }

    /// <summary>
    /// The same file with other architecture JSON, built from the documented layout: identifier, version, payload
    /// length, SHA-256 of the payload, then the payload, which starts with the JSON's length and bytes.
    /// </summary>
    private static byte[] WithArchitectureJson(byte[] file, string json)
    {
        const int header = 8 + 4 + 8 + 32;
        var oldJsonLength = BitConverter.ToInt32(file, header);
        var rest = file.AsSpan(header + 4 + oldJsonLength).ToArray();
        var jsonBytes = Encoding.UTF8.GetBytes(json);
        var payload = BitConverter.GetBytes(jsonBytes.Length).Concat(jsonBytes).Concat(rest).ToArray();
        return file.AsSpan(0, 12).ToArray()
            .Concat(BitConverter.GetBytes((long)payload.Length))
            .Concat(System.Security.Cryptography.SHA256.HashData(payload))
            .Concat(payload).ToArray();
    }

    [Fact]
    public void InvalidArchitectureIsReportedAsCorrupted()
    {
        var act = () => VaeModelFile.ParseOptions("""{"InputSize":-3}""", "some.vae");
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("some.vae").And.Contain("InputSize");
    }
}
