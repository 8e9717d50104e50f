using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

public sealed class DisposedModelTests : IDisposable
{
    private static readonly VaeOptions Small = new() { InputSize = 6, HiddenSizes = [5], LatentSize = 2 };
    private readonly string directory = Directory.CreateTempSubdirectory("vae-disposed-tests-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static VariationalAutoencoder DisposedModel()
    {
        var model = new VariationalAutoencoder(Small);
        model.Dispose();
        return model;
    }

    public static TheoryData<string> Members => new()
    {
        "forward", "Forward", "NegativeElbo", "Encode", "Decode", "Sample", "Reconstruct", "Device", "Encoder", "Decoder", "LogVariance",
        "SaveToStream", "LoadWeights", "state_dict", "load_state_dict", "parameters", "named_parameters", "buffers", "children",
        "modules", "train", "eval", "training", "zero_grad", "to device", "to dtype",
    };

    [Theory]
    [MemberData(nameof(Members))]
    public void EveryMemberOfADisposedModelThrowsObjectDisposed(string member)
    {
        var model = DisposedModel();
        using var scope = NewDisposeScope();
        using var input = rand(2, Small.InputSize);
        using var latent = rand(2, Small.LatentSize);
        var modelFile = Path.Combine(directory, "weights.vae");
        using (var other = new VariationalAutoencoder(Small)) other.Save(modelFile);
        Action act = member switch
        {
            "forward" => () => model.forward(input),
            "Forward" => () => model.Forward(input, null),
            "NegativeElbo" => () => model.NegativeElbo(input),
            "Encode" => () => model.Encode(input),
            "Decode" => () => model.Decode(latent),
            "Sample" => () => model.Sample(3),
            "Reconstruct" => () => model.Reconstruct(input),
            "Device" => () => _ = model.Device,
            "Encoder" => () => _ = model.Encoder,
            "Decoder" => () => _ = model.Decoder,
            "LogVariance" => () => _ = model.LogVariance,
            "SaveToStream" => () => model.Save(new MemoryStream()),
            "LoadWeights" => () => model.LoadWeights(modelFile),
            "state_dict" => () => model.state_dict(),
            "parameters" => () => model.parameters().ToList(),
            "named_parameters" => () => model.named_parameters().ToList(),
            "train" => () => model.train(),
            "eval" => () => model.eval(),
            "training" => () => _ = model.training,
            "load_state_dict" => () => model.load_state_dict([]),
            "buffers" => () => model.buffers().ToList(),
            "children" => () => model.children().ToList(),
            "modules" => () => model.modules().ToList(),
            "zero_grad" => () => model.zero_grad(),
            "to device" => () => model.to(CPU),
            "to dtype" => () => model.to(ScalarType.Float64),
            _ => throw new ArgumentOutOfRangeException(nameof(member), member, null),
        };
        act.Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Be(nameof(VariationalAutoencoder));
    }

    [Fact]
    public void SavingADisposedModelOverAGoodFileThrowsAndLeavesTheFileLoadable()
    {
        var path = Path.Combine(directory, "model.vae");
        using (var good = new VariationalAutoencoder(Small)) good.Save(path);
        var before = File.ReadAllBytes(path);
        var model = DisposedModel();

        var save = () => model.Save(path);

        save.Should().Throw<ObjectDisposedException>();
        File.ReadAllBytes(path).Should().Equal(before);
        Directory.GetFiles(directory).Should().Equal([path], "no temporary file may be left behind");
        using var loaded = VariationalAutoencoder.Load(path);
        loaded.Options.Should().Be(Small);
    }

    [Fact]
    public void DisposingTwiceIsHarmlessAndTheArchitectureStaysReadable()
    {
        var model = new VariationalAutoencoder(Small);
        model.Dispose();
        model.Dispose();
        model.Options.Should().Be(Small);
    }
}
