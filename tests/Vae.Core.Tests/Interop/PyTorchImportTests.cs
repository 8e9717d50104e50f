using TorchSharp;
using Vae.Core.Data;
using Vae.Core.Tests.Data;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Interop;

public sealed class PyTorchImportTests
{
    [Theory]
    [MemberData(nameof(PyTorchFixtures.SmallFiles), MemberType = typeof(PyTorchFixtures))]
    public void AFileWrittenByPyTorchLoadsWithoutOptionsAndComputesWhatPyTorchComputed(string file)
    {
        var expected = PyTorchFixtures.Small(file);
        using var scope = NewDisposeScope();
        using var model = PyTorchInterop.Import(PyTorchFixtures.PathOf(file));

        var input = PyTorchFixtures.Matrix(expected.GetProperty("input"));
        var (mean, logVariance) = model.Encoder.forward(input);
        PyTorchFixtures.MaxDifference(mean, PyTorchFixtures.Matrix(expected.GetProperty("mean"))).Should().BeLessThan(1e-5);
        PyTorchFixtures.MaxDifference(logVariance, PyTorchFixtures.Matrix(expected.GetProperty("log_variance"))).Should().BeLessThan(1e-5);
        PyTorchFixtures.MaxDifference(model.Decode(mean), PyTorchFixtures.Matrix(expected.GetProperty("probabilities"))).Should().BeLessThan(1e-5);
        model.training.Should().BeFalse();
        model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32);
    }

    [Fact]
    public void TheSizesComeFromTheShapesInEveryLayout()
    {
        using (var tutorial = PyTorchInterop.Import(PyTorchFixtures.PathOf("tutorial-12-6-3.safetensors")))
            tutorial.Options.Should().Be(new VaeOptions { InputSize = 12, HiddenSizes = [6], LatentSize = 3 });
        using (var examples = PyTorchInterop.Import(PyTorchFixtures.PathOf("examples-12-6-3.pt")))
            examples.Options.Should().Be(new VaeOptions { InputSize = 12, HiddenSizes = [6], LatentSize = 3 });
        using var vae = PyTorchInterop.Import(PyTorchFixtures.PathOf("vae-12-8-6-3.pt"));
        vae.Options.Should().Be(new VaeOptions { InputSize = 12, HiddenSizes = [8, 6], LatentSize = 3 });
    }

    [Fact]
    public void AModelTrainedWithTheTutorialsCodeGivesPyTorchsNegativeElboAtTheMean()
    {
        var trained = PyTorchFixtures.Trained;
        using var scope = NewDisposeScope();
        using var model = PyTorchInterop.Import(PyTorchFixtures.PathOf(trained.GetProperty("file").GetString()!));
        using var test = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);
        test.Count.Should().Be(trained.GetProperty("test_images").GetInt32());

        model.Options.ToString().Should().Be("784-16-4");
        var expected = trained.GetProperty("test_negative_elbo_at_mean").GetDouble();
        var actual = model.NegativeElboAtMean(test.Images);
        Math.Abs(actual - expected).Should().BeLessThan(1e-4 * expected, $"PyTorch computed {expected}, we {actual}");

        var (mean, logVariance) = model.Encoder.forward(test.Images.narrow(0, 0, 3));
        PyTorchFixtures.MaxDifference(mean, PyTorchFixtures.Matrix(trained.GetProperty("mean"))).Should().BeLessThan(1e-5);
        PyTorchFixtures.MaxDifference(logVariance, PyTorchFixtures.Matrix(trained.GetProperty("log_variance"))).Should().BeLessThan(1e-5);
        PyTorchFixtures.MaxDifference(model.Decode(mean), PyTorchFixtures.Matrix(trained.GetProperty("probabilities"))).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void AFileThatFitsNoLayoutListsMissingAndUnexpectedKeysAndShapeMismatches()
    {
        var path = PyTorchFixtures.PathOf("broken-tutorial.pt");
        var import = () => PyTorchInterop.Import(path);

        var error = import.Should().Throw<StateDictMismatchException>().Which;
        error.Layout.Should().Be(PyTorchLayout.Tutorial);
        error.MissingKeys.Should().Equal("encoder.fc2_mean.weight");
        error.UnexpectedKeys.Should().Equal("encoder.fc2_mu.weight");
        error.ShapeMismatches.Should().Equal("decoder.fc2.weight: file [12, 5], model [12, 6]");
        error.Message.Should().Contain(path).And.Contain("'encoder.fc2_mean.weight'").And.Contain("'encoder.fc2_mu.weight'").And.Contain("decoder.fc2.weight");
    }

    [Fact]
    public void ALayoutGivenThatTheFileDoesNotHaveIsReportedKeyByKey()
    {
        var import = () => PyTorchInterop.Import(PyTorchFixtures.PathOf("examples-12-6-3.pt"), new PyTorchImportOptions { Layout = PyTorchLayout.Tutorial });

        var error = import.Should().Throw<StateDictMismatchException>().Which;
        error.MissingKeys.Should().Contain("encoder.fc1.weight").And.HaveCount(10);
        error.UnexpectedKeys.Should().Contain(["fc1.weight", "fc21.bias", "fc4.weight"]).And.HaveCount(10);
    }

    [Fact]
    public void AnArchitectureGivenThatTheShapesContradictIsAShapeMismatch()
    {
        var options = new PyTorchImportOptions { Architecture = new VaeOptions { InputSize = 12, HiddenSizes = [7], LatentSize = 3 } };
        var import = () => PyTorchInterop.Import(PyTorchFixtures.PathOf("tutorial-12-6-3.safetensors"), options);

        import.Should().Throw<StateDictMismatchException>().Which.ShapeMismatches
            .Should().Contain("encoder.fc1.weight: file [6, 12], model [7, 12]");
    }

    [Fact]
    public void TheLikelihoodWhichNoTensorRecordsComesFromTheOptions()
    {
        using var model = PyTorchInterop.Import(PyTorchFixtures.PathOf("examples-12-6-3.pt"),
            new PyTorchImportOptions { Likelihood = VaeLikelihood.Gaussian, GaussianVariance = 0.5 });
        model.Options.Likelihood.Should().Be(VaeLikelihood.Gaussian);
        model.Options.GaussianVariance.Should().Be(0.5);
    }

    [Fact]
    public void IntegerTensorsAreRefusedByName()
    {
        using var folder = new TempFolder();
        var path = folder.File("ints.safetensors");
        using (var model = new VariationalAutoencoder(new VaeOptions { InputSize = 5, HiddenSizes = [4], LatentSize = 2 }))
        {
            var state = model.state_dict();
            var tensors = state.Select(p => (p.Key, p.Key == "encoder.mean.bias" ? p.Value.to_type(ScalarType.Int64) : p.Value)).ToList();
            using var stream = File.Create(path);
            SafetensorsFile.Write(stream, tensors);
        }

        var import = () => PyTorchInterop.Import(path);
        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*encoder.mean.bias*Int64*not a floating type*");
    }

    [Fact]
    public void DamagedAndForeignFilesAreReportedWithTheirName()
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(PyTorchFixtures.PathOf("tutorial-12-6-3.safetensors"));
        var truncated = folder.File("truncated.safetensors");
        File.WriteAllBytes(truncated, bytes[..^10]);
        var hugeHeader = folder.File("huge.safetensors");
        File.WriteAllBytes(hugeHeader, [0, 0, 0, 0, 0, 0, 0, 1, (byte)'{']);
        var notZip = folder.File("text.pt");
        File.WriteAllText(notZip, "not a pickle");

        ((Action)(() => PyTorchInterop.Import(truncated))).Should().Throw<InvalidDataException>().WithMessage($"*{truncated}*truncated*");
        ((Action)(() => PyTorchInterop.Import(hugeHeader))).Should().Throw<InvalidDataException>().WithMessage($"*{hugeHeader}*more than the file holds*");
        ((Action)(() => PyTorchInterop.Import(notZip))).Should().Throw<InvalidDataException>().WithMessage($"*{notZip}*torch.save*");
        ((Action)(() => PyTorchInterop.Import(folder.File("absent.pt")))).Should().Throw<FileNotFoundException>();
        ((Action)(() => PyTorchInterop.Import(folder.File("model.onnx")))).Should().Throw<ArgumentException>().WithMessage("*.onnx*.pt, .pth, .safetensors*");
    }

    [Fact]
    public void ASafetensorsHeaderThatNamesATensorTwiceIsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("twice.safetensors");
        var header = System.Text.Encoding.UTF8.GetBytes(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[8]]);

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*'a' twice*");
    }

    [Fact]
    public void ASafetensorsEntryWhoseByteRangeDoesNotFitItsShapeIsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("short.safetensors");
        var header = System.Text.Encoding.UTF8.GetBytes("{\"encoder.fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,8]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[8]]);

        var import = () => PyTorchInterop.Import(path);

        import.Should().Throw<InvalidDataException>().WithMessage($"*{path}*encoder.fc1.weight*needs 24 bytes*hold 8*");
    }
}
