using System.Text.Json;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples.Tests;

namespace Vae.Mnist.Tests;

/// <summary><c>convert</c> and <c>evaluate</c> with PyTorch and ONNX files, run as a user runs them.</summary>
public sealed class ConvertCommandLineTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private SampleProcess.Result Run(params string[] args)
    {
        using var run = SampleProcess.Start("Vae.Mnist", args, temp.Path);
        return run.WaitForExit();
    }

    private string SavedModel(string name, params int[] hidden)
    {
        torch.manual_seed(5);
        using var model = new VariationalAutoencoder(new VaeOptions { HiddenSizes = hidden, LatentSize = 2 });
        var path = temp.File(name);
        model.Save(path);
        return path;
    }

    [Fact]
    public void AModelGoesToTheTutorialLayoutAndBackUnchanged()
    {
        var original = SavedModel("model.vae", 16);

        var there = Run("convert", "--from", "model.vae", "--to", "model.pt", "--layout", "tutorial");
        var back = Run("convert", "--from", "model.pt", "--to", "back.vae");

        there.ExitCode.Should().Be(0, there.ToString());
        there.Output.Should().Contain("784-16-2").And.Contain("Tutorial layout");
        back.ExitCode.Should().Be(0, back.ToString());
        using var before = VariationalAutoencoder.Load(original);
        using var after = VariationalAutoencoder.Load(temp.File("back.vae"));
        after.Options.Should().Be(before.Options);
        var expected = before.state_dict();
        foreach (var (name, tensor) in after.state_dict())
            tensor.eq(expected[name]).all().item<bool>().Should().BeTrue(name);
    }

    [Theory]
    [InlineData("decoder")]
    [InlineData("encoder")]
    [InlineData("scorer")]
    public void AnOnnxOutputIsTheGraphTheLibraryExports(string part)
    {
        var path = SavedModel("model.vae", 16);

        var result = Run("convert", "--from", "model.vae", "--to", $"{part}.onnx", "--part", part);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain($"ONNX {part} (opset 17");
        using var model = VariationalAutoencoder.Load(path);
        File.ReadAllBytes(temp.File($"{part}.onnx")).Should().Equal(part switch
        {
            "decoder" => OnnxExport.DecoderModel(model),
            "encoder" => OnnxExport.EncoderModel(model),
            _ => OnnxExport.AnomalyScorerModel(model),
        });
    }

    [Fact]
    public void EvaluateReadsAPyTorchFileAndReportsTheNegativeElboAtTheMean()
    {
        var data = TinyMnist.Create(temp.File("data"));
        var vae = SavedModel("model.vae", 16);
        Run("convert", "--from", "model.vae", "--to", "model.safetensors", "--layout", "examples").ExitCode.Should().Be(0);

        var result = Run("evaluate", "--model", "model.safetensors", "--data", data, "-k", "2", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        var json = JsonDocument.Parse(result.Output.Trim().Split('\n')[^1]).RootElement;
        using var model = VariationalAutoencoder.Load(vae);
        using var test = MnistDataset.Load(data, MnistSplit.Test);
        json.GetProperty("test_negative_elbo_at_mean").GetDouble().Should().BeApproximately(model.NegativeElboAtMean(test.Images), 1e-9);
        json.GetProperty("architecture").GetString().Should().Be("784-16-2");
    }

    [Fact]
    public void ALayoutThatCannotHoldTheModelIsAnErrorAndWritesNothing()
    {
        SavedModel("deep.vae", 16, 8);

        var result = Run("convert", "--from", "deep.vae", "--to", "deep.pt", "--layout", "tutorial");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("one hidden layer").And.Contain("784-16-8-2");
        temp.Names().Should().Equal("deep.vae");
    }

    [Fact]
    public void AnExistingOutputIsKeptUnlessOverwriteIsGiven()
    {
        SavedModel("model.vae", 16);
        File.WriteAllText(temp.File("model.pt"), "keep me");

        var refused = Run("convert", "--from", "model.vae", "--to", "model.pt");
        refused.ExitCode.Should().Be(1, refused.ToString());
        refused.Error.Should().Contain("model.pt").And.Contain("--overwrite");
        File.ReadAllText(temp.File("model.pt")).Should().Be("keep me");

        var replaced = Run("convert", "--from", "model.vae", "--to", "model.pt", "--overwrite");
        replaced.ExitCode.Should().Be(0, replaced.ToString());
        File.ReadAllText(temp.File("model.pt")).Should().NotBe("keep me");
    }

    [Theory]
    [InlineData("unknown extension", "--from", "model.vae", "--to", "model.bin")]
    [InlineData("layout must be", "--from", "model.vae", "--to", "model.pt", "--layout", "keras")]
    [InlineData("part must be", "--from", "model.vae", "--to", "model.onnx", "--part", "middle")]
    [InlineData("--to is required", "--from", "model.vae")]
    public void ABadCommandLineIsExplained(string expected, params string[] args)
    {
        SavedModel("model.vae", 16);

        var result = Run(["convert", .. args]);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain(expected == "unknown extension" ? "the extension must be one of" : expected);
    }

    [Fact]
    public void APyTorchFileThatFitsNoLayoutListsTheKeys()
    {
        File.WriteAllBytes(temp.File("other.safetensors"), OtherStateDict());

        var result = Run("convert", "--from", "other.safetensors", "--to", "model.vae");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("missing keys").And.Contain("unexpected keys: 'conv.weight'");
        temp.Names().Should().Equal("other.safetensors");
    }

    /// <summary>A safetensors file with one tensor, <c>conv.weight</c>, that belongs to no VAE layout.</summary>
    private static byte[] OtherStateDict()
    {
        var header = System.Text.Encoding.UTF8.GetBytes("{\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        return [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[8]];
    }
}
