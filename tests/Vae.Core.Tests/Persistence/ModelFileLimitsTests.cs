using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>What a model file may claim: its tensors must be the ones its architecture implies, and hold their bytes.</summary>
public sealed class ModelFileLimitsTests : IDisposable
{
    private static readonly (string Name, long[] Shape)[] TinyMlp =
    [
        ("encoder.hidden.fc1.weight", [4, 6]), ("encoder.hidden.fc1.bias", [4]),
        ("encoder.mean.weight", [2, 4]), ("encoder.mean.bias", [2]),
        ("encoder.logVar.weight", [2, 4]), ("encoder.logVar.bias", [2]),
        ("decoder.layers.fc1.weight", [4, 2]), ("decoder.layers.fc1.bias", [4]),
        ("decoder.layers.fc2.weight", [6, 4]), ("decoder.layers.fc2.bias", [6]),
    ];

    private const string TinyMlpJson = """{"InputSize":6,"HiddenSizes":[4],"LatentSize":2}""";

    private readonly string directory = Directory.CreateTempSubdirectory("vae-file-limits-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static TheoryData<VaeOptions> Architectures => new()
    {
        new VaeOptions(),
        new VaeOptions { InputSize = 5, HiddenSizes = [], LatentSize = 2 },
        new VaeOptions { InputSize = 9, HiddenSizes = [7, 5, 3], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true },
        new VaeOptions { InputSize = 9, HiddenSizes = [4], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian },
        new VaeOptions { Architecture = VaeArchitecture.Convolutional, HiddenSizes = [], LatentSize = 3, ConvChannels = [4, 6] },
        new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, InputSize = 3 * 13 * 9, ImageChannels = 3, ImageHeight = 13, ImageWidth = 9,
            ConvChannels = [2, 5, 3], HiddenSizes = [8, 6], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true,
        },
        new VaeOptions { InputSize = 9, HiddenSizes = [4], LatentSize = 2, ConditionClasses = 3 },
        new VaeOptions { InputSize = 9, HiddenSizes = [], LatentSize = 2, ConditionSize = 2, Likelihood = VaeLikelihood.ContinuousBernoulli },
        new VaeOptions { Architecture = VaeArchitecture.Convolutional, HiddenSizes = [5], LatentSize = 3, ConvChannels = [4], ConditionClasses = 10 },
        new VaeOptions { InputSize = 9, HiddenSizes = [4], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = 6, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true },
        new VaeOptions { InputSize = 9, HiddenSizes = [7, 5, 3], LatentSize = 2, LayerNormalization = true, Activation = VaeActivation.GELU, InputDropout = 0.1, HiddenDropout = 0.2 },
        new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, ImageChannels = 2, ImageHeight = 8, ImageWidth = 6, ConvChannels = [3],
            HiddenSizes = [5], LatentSize = 2, LayerNormalization = true, Activation = VaeActivation.Tanh,
            Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true,
        },
        // The features of both sides together: a condition or a learned prior with layer norm, dropout and another activation.
        new VaeOptions { InputSize = 9, HiddenSizes = [6, 4], LatentSize = 2, ConditionClasses = 3, LayerNormalization = true, InputDropout = 0.1, HiddenDropout = 0.2, Activation = VaeActivation.SiLU },
        new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, ImageChannels = 2, ImageHeight = 8, ImageWidth = 6, ConvChannels = [3],
            HiddenSizes = [5], LatentSize = 2, ConditionSize = 2, LayerNormalization = true, Likelihood = VaeLikelihood.ContinuousBernoulli,
        },
        new VaeOptions { InputSize = 9, HiddenSizes = [7, 5], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = 4, LayerNormalization = true, Activation = VaeActivation.ELU, Likelihood = VaeLikelihood.ContinuousBernoulli },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void ExpectedParametersAreTheStateDictOfTheBuiltModel(VaeOptions options)
    {
        using var model = new VariationalAutoencoder(options);
        var actual = model.state_dict().Select(p => (p.Key, string.Join("x", p.Value.shape))).ToList();
        var expected = ExpectedParameters.Of(options).Select(p => (p.Name, string.Join("x", p.Shape))).ToList();
        expected.Should().Equal(actual);
    }

    [Fact]
    public void AHandWrittenVersion1FileLoadsWithItsWeights()
    {
        var path = Write("hand-written.vae", ModelFileBytes.Build(TinyMlpJson, ModelFileBytes.Ramp(TinyMlp)));

        using var model = VariationalAutoencoder.Load(path);

        model.Options.Should().Be(new VaeOptions { InputSize = 6, HiddenSizes = [4], LatentSize = 2 });
        model.state_dict()["decoder.layers.fc2.weight"].data<float>().ToArray()
            .Should().Equal(Enumerable.Range(0, 24).Select(i => i * 0.001f));
    }

    [Fact]
    public void AnArchitectureClaimingMillionsOfHiddenUnitsOverSmallWeightsIsRefusedBeforeAnyModelIsBuilt()
    {
        // The real default model's weights (2.6 MB) under architecture JSON claiming 2,000,000 hidden units: building
        // that model first would take 12.9 GB.
        using var small = new VariationalAutoencoder(new VaeOptions());
        var tensors = small.state_dict().Select(p =>
            new ModelFileBytes.Tensor(p.Key, p.Value.shape, p.Value.bytes.ToArray()));
        var bytes = ModelFileBytes.Build("""{"InputSize":784,"HiddenSizes":[2000000],"LatentSize":20}""", tensors);
        var path = Write("crafted.vae", bytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var load = () => VariationalAutoencoder.Load(path);
        var message = load.Should().Throw<InvalidDataException>().Which.Message;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        message.Should().Contain(path).And.Contain("784-2000000-20").And.Contain("'encoder.hidden.fc1.weight'")
            .And.Contain("[2000000, 784]").And.Contain("[400, 784]").And.NotContain("the model is");
        allocated.Should().BeLessThan(4L * bytes.Length, "reading may copy the file's bytes, never allocate for the claimed model");
    }

    [Fact]
    public void AnArchitectureTooLargeForAnyMachineIsRefusedAsCorruptNotAsAnAllocationFailure()
    {
        var path = Write("impossible.vae", ModelFileBytes.Build(
            """{"InputSize":6,"HiddenSizes":[2147483647],"LatentSize":2}""", ModelFileBytes.Ramp(TinyMlp)));

        var load = () => VariationalAutoencoder.Load(path);

        load.Should().Throw<InvalidDataException>().Which.Message.Should()
            .Contain(path).And.Contain("'encoder.hidden.fc1.weight'").And.Contain("[2147483647, 6]").And.Contain("[4, 6]");
    }

    [Fact]
    public void ATensorWhoseShapeNeedsMoreBytesThanItHoldsIsRefused()
    {
        var tensors = ModelFileBytes.Ramp(TinyMlp).ToList();
        tensors[0] = tensors[0] with { Shape = [4000, 6000] };
        var path = Write("short-tensor.vae", ModelFileBytes.Build(TinyMlpJson, tensors));

        var load = () => VariationalAutoencoder.Load(path);

        load.Should().Throw<InvalidDataException>().Which.Message.Should()
            .Contain(path).And.Contain("'encoder.hidden.fc1.weight'").And.Contain("[4000, 6000]").And.Contain("96000000 bytes").And.Contain("96");
    }

    [Fact]
    public void ATensorTheArchitectureDoesNotHaveOrOneItLacksIsNamed()
    {
        var extra = ModelFileBytes.Ramp(TinyMlp.Append(("decoder.layers.fc9.weight", [1, 1]))).ToList();
        var withExtra = Write("extra.vae", ModelFileBytes.Build(TinyMlpJson, extra));
        var missing = Write("missing.vae", ModelFileBytes.Build(TinyMlpJson, ModelFileBytes.Ramp(TinyMlp.Skip(1))));

        FluentActions.Invoking(() => VariationalAutoencoder.Load(withExtra)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("'decoder.layers.fc9.weight'").And.Contain(withExtra);
        FluentActions.Invoking(() => VariationalAutoencoder.Load(missing)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("'encoder.hidden.fc1.weight'").And.Contain(missing);
    }

    [Fact]
    public void LoadWeightsRefusesAnInconsistentFileBeforeTouchingTheModel()
    {
        var tensors = ModelFileBytes.Ramp(TinyMlp).ToList();
        tensors[2] = tensors[2] with { Shape = [4, 2] }; // same bytes, shape the architecture does not have
        var path = Write("inconsistent.vae", ModelFileBytes.Build(TinyMlpJson, tensors));
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 6, HiddenSizes = [4], LatentSize = 2 });
        var before = model.state_dict()["encoder.hidden.fc1.weight"].clone();

        var load = () => model.LoadWeights(path);

        load.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("'encoder.mean.weight'").And.Contain("[2, 4]").And.Contain("[4, 2]");
        TensorAssert.Identical(model.state_dict()["encoder.hidden.fc1.weight"], before).Should().BeTrue();
        before.Dispose();
    }

    [Fact]
    public void ALoadedModelIsInEvaluationMode()
    {
        var path = Write("model.vae", ModelFileBytes.Build(TinyMlpJson, ModelFileBytes.Ramp(TinyMlp)));
        using (var fromFile = VariationalAutoencoder.Load(path))
            fromFile.training.Should().BeFalse();
        using var stream = new MemoryStream(File.ReadAllBytes(path));
        using var fromStream = VariationalAutoencoder.Load(stream);
        fromStream.training.Should().BeFalse();
        fromStream.Encoder.training.Should().BeFalse("evaluation mode reaches every submodule");
    }

    [Fact]
    public void AStreamWhoseHeaderAnnouncesGigabytesIsTruncatedWithoutAllocatingThem()
    {
        var file = ModelFileBytes.Build(TinyMlpJson, ModelFileBytes.Ramp(TinyMlp));
        BitConverter.GetBytes(2_000_000_000L).CopyTo(file, 12); // the payload length follows identifier and version
        using var stream = new ForwardOnlyStream(file);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var load = () => VariationalAutoencoder.Load(stream);
        var message = load.Should().Throw<InvalidDataException>().Which.Message;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        message.Should().Contain("truncated").And.Contain("2000000000");
        allocated.Should().BeLessThan(16L << 20, "a stream of unknown length is read in chunks, not into an array the header sizes");
    }

    [Fact]
    public void AnArchitectureLengthBeyondTheFileIsRefusedWithoutAllocatingIt()
    {
        var file = ModelFileBytes.Build(TinyMlpJson, ModelFileBytes.Ramp(TinyMlp));
        var payload = file.AsSpan(ChecksummedContainer.HeaderSize).ToArray();
        BitConverter.GetBytes(1_500_000_000).CopyTo(payload, 0); // the payload starts with the JSON's length
        var path = Write("long-json.vae", [.. file.AsSpan(0, ChecksummedContainer.HeaderSize - 32), .. System.Security.Cryptography.SHA256.HashData(payload), .. payload]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var load = () => VariationalAutoencoder.Load(path);
        var message = load.Should().Throw<InvalidDataException>().Which.Message;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        message.Should().Contain(path).And.Contain("1500000000");
        allocated.Should().BeLessThan(16L << 20);
    }

    /// <summary>A stream that cannot seek or tell its length, like a network or pipe stream.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream inner = new(bytes, writable: false);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
