using System.Text;
using Vae.Core.Recommendation;

namespace Vae.Core.Tests.Recommendation;

/// <summary>A Mult-VAE file whose checksum is right but whose contents lie is refused before the model is built.</summary>
public sealed class MultVaeFileLimitsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("multvae-limits-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string WritePayload(string name, string optionsJson, string[] ids, Action<BinaryWriter> weights)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(optionsJson);
            foreach (var id in ids) writer.Write(id);
            weights(writer);
        }
        var path = Path.Combine(directory, name);
        using var file = File.Create(path);
        MultVae.Container.Write(file, memory.ToArray());
        return path;
    }

    [Theory]
    [InlineData("""{"HiddenSizes":[600000],"LatentSize":200000,"InputDropout":0.5,"ItemCount":2}""")]
    [InlineData("""{"HiddenSizes":[2147483647],"LatentSize":2147483647,"InputDropout":0.5,"ItemCount":2}""")]
    [InlineData("""{"HiddenSizes":[3],"LatentSize":2,"InputDropout":0.5,"ItemCount":2}""")]
    public void FalseSizesAreRefusedNamingTheFileWithoutAllocatingWhatTheyClaim(string optionsJson)
    {
        var path = WritePayload("false-sizes.multvae", optionsJson, ["a", "b"], w =>
        {
            w.Write(10);
            w.Write(new byte[4000]);
        });
        var before = GC.GetAllocatedBytesForCurrentThread();
        var load = () => MultVae.Load(path);
        load.Should().Throw<InvalidDataException>().WithMessage($"*{path}*bytes of weights*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(10L << 20);
    }

    [Fact]
    public void ANonFiniteWeightIsRefusedNamingTheIndex()
    {
        using var model = new MultVae(["a", "b", "c"], new MultVaeOptions { HiddenSizes = [3], LatentSize = 2 }, seed: 1);
        var path = Path.Combine(directory, "nan.multvae");
        using (TorchSharp.torch.no_grad()) model.Parameters[2].view(-1)[4] = TorchSharp.torch.tensor(float.NaN);
        model.Save(path);
        var load = () => MultVae.Load(path);
        load.Should().Throw<InvalidDataException>().WithMessage($"*{path}*NaN at flat index 4*");
    }
}
