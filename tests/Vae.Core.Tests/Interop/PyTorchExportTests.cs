using TorchSharp;
using Vae.Core.Tests.Data;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Interop;

public sealed class PyTorchExportTests
{
    private static readonly VaeOptions Small = new() { InputSize = 12, HiddenSizes = [6], LatentSize = 3 };

    public static TheoryData<PyTorchLayout, string> LayoutsAndFormats()
    {
        var data = new TheoryData<PyTorchLayout, string>();
        foreach (var layout in Enum.GetValues<PyTorchLayout>())
        foreach (var extension in new[] { ".pt", ".safetensors" })
            data.Add(layout, extension);
        return data;
    }

    [Theory]
    [MemberData(nameof(LayoutsAndFormats))]
    public void AnExportReadsBackBitForBitUnderTheLayoutsNames(PyTorchLayout layout, string extension)
    {
        using var folder = new TempFolder();
        var path = folder.File("model" + extension);
        torch.manual_seed(3);
        using var model = new VariationalAutoencoder(Small);

        PyTorchInterop.Export(model, path, layout);

        using var loaded = PyTorchInterop.Import(path);
        loaded.Options.Should().Be(Small);
        var original = model.state_dict();
        foreach (var (name, tensor) in loaded.state_dict())
            TensorAssert.Identical(tensor, original[name]).Should().BeTrue(name);

        var expectedKeys = layout switch
        {
            PyTorchLayout.Tutorial => new[] { "encoder.fc1", "encoder.fc2_mean", "encoder.fc2_logvar", "decoder.fc1", "decoder.fc2" },
            PyTorchLayout.Examples => ["fc1", "fc21", "fc22", "fc3", "fc4"],
            _ => ["encoder.hidden.fc1", "encoder.mean", "encoder.logVar", "decoder.layers.fc1", "decoder.layers.fc2"],
        };
        using var stream = File.OpenRead(path);
        var raw = extension == ".pt" ? PickledStateDict.Read(stream, path) : SafetensorsFile.Read(stream, path);
        raw.Keys.Should().BeEquivalentTo(expectedKeys.SelectMany(k => new[] { k + ".weight", k + ".bias" }));
        foreach (var tensor in raw.Values) tensor.Dispose();
    }

    [Fact]
    public void TheVaeLayoutCarriesDeeperModelsAndLearnedVariances()
    {
        using var folder = new TempFolder();
        var options = new VaeOptions { InputSize = 7, HiddenSizes = [6, 5], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true, GaussianVariance = 0.25 };
        using var model = new VariationalAutoencoder(options);
        using (no_grad()) model.Decoder.LogVariance!.copy_(torch.linspace(-1, 1, 7));
        var path = folder.File("deep.safetensors");

        PyTorchInterop.Export(model, path);

        using var loaded = PyTorchInterop.Import(path, new PyTorchImportOptions { GaussianVariance = 0.25 });
        loaded.Options.Should().Be(options);
        TensorAssert.Identical(loaded.Decoder.LogVariance!, model.Decoder.LogVariance!).Should().BeTrue();
    }

    [Fact]
    public void ALayoutThatCannotDescribeTheModelIsRefusedBeforeAnythingIsWritten()
    {
        using var folder = new TempFolder();
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 7, HiddenSizes = [6, 5], LatentSize = 2 });
        var path = folder.File("deep.pt");

        var export = () => PyTorchInterop.Export(model, path, PyTorchLayout.Tutorial);

        export.Should().Throw<ArgumentException>().WithMessage("*Tutorial layout*one hidden layer*7-6-5-2*");
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void AFloat64ModelExportsFloat64TensorsAndImportsAsFloat32()
    {
        using var folder = new TempFolder();
        using var model = new VariationalAutoencoder(Small);
        model.to(ScalarType.Float64);
        var path = folder.File("double.safetensors");

        PyTorchInterop.Export(model, path, PyTorchLayout.Examples);

        using (var stream = File.OpenRead(path))
        {
            var raw = SafetensorsFile.Read(stream, path);
            raw.Values.Should().OnlyContain(t => t.dtype == ScalarType.Float64);
            foreach (var tensor in raw.Values) tensor.Dispose();
        }
        using var loaded = PyTorchInterop.Import(path);
        using var scope = NewDisposeScope();
        var original = model.state_dict();
        foreach (var (name, tensor) in loaded.state_dict())
            TensorAssert.Identical(tensor, original[name].to_type(ScalarType.Float32)).Should().BeTrue(name);
    }

    [Fact]
    public void AnUnknownExtensionIsRefused()
    {
        using var model = new VariationalAutoencoder(Small);
        var export = () => PyTorchInterop.Export(model, "model.bin");
        export.Should().Throw<ArgumentException>().WithMessage("*'.bin'*.pt, .pth, .safetensors*");
    }

    [Fact]
    public void AModelWithoutHiddenLayersRoundTripsInTheVaeLayout()
    {
        using var folder = new TempFolder();
        var options = new VaeOptions { InputSize = 6, HiddenSizes = [], LatentSize = 2 };
        using var model = new VariationalAutoencoder(options);
        var path = folder.File("linear.pt");

        PyTorchInterop.Export(model, path);

        using var loaded = PyTorchInterop.Import(path);
        loaded.Options.Should().Be(options);
    }

    [Fact]
    public void AConvolutionalModelNeedsItsArchitectureToComeBackFromAPtFile()
    {
        using var folder = new TempFolder();
        var options = new VaeOptions { Architecture = VaeArchitecture.Convolutional, InputSize = 64, ImageHeight = 8, ImageWidth = 8, ConvChannels = [2, 3], HiddenSizes = [5], LatentSize = 2 };
        using var model = new VariationalAutoencoder(options);
        var recorded = folder.File("conv.safetensors");
        PyTorchInterop.Export(model, recorded);
        using (var exact = PyTorchInterop.Import(recorded)) exact.Options.Should().Be(options);
        var path = folder.File("conv.pt");
        PyTorchInterop.Export(model, path);

        var withoutOptions = () => PyTorchInterop.Import(path);
        withoutOptions.Should().Throw<InvalidDataException>().WithMessage($"*{path}*convolutional*{nameof(PyTorchImportOptions.Architecture)}*");

        using var loaded = PyTorchInterop.Import(path, new PyTorchImportOptions { Architecture = options });
        var original = model.state_dict();
        foreach (var (name, tensor) in loaded.state_dict())
            TensorAssert.Identical(tensor, original[name]).Should().BeTrue(name);
    }

    [Fact]
    public void ImportingDoesNotAdvanceTheGlobalGenerator()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        using (var model = new VariationalAutoencoder(Small)) PyTorchInterop.Export(model, path);

        torch.manual_seed(9);
        using (PyTorchInterop.Import(path))
        {
        }
        using var afterImport = torch.rand(3);
        torch.manual_seed(9);
        using var untouched = torch.rand(3);

        TensorAssert.Identical(afterImport, untouched).Should().BeTrue();
    }
}
