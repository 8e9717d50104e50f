using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>Named texts saved in a model file beside the weights, under the same checksum.</summary>
public sealed class ModelAttachmentsTests : IDisposable
{
    private static readonly VaeOptions SmallOptions = new() { InputSize = 6, HiddenSizes = [5], LatentSize = 2 };
    private readonly string directory = Directory.CreateTempSubdirectory("vae-attachments-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string PathFor(string name) => Path.Combine(directory, name);

    private static VariationalAutoencoder NewModel()
    {
        manual_seed(3);
        return new VariationalAutoencoder(SmallOptions);
    }

    [Fact]
    public void AttachmentsComeBackByNameAndTheWeightsLoadAsWithout()
    {
        using var model = NewModel();
        var path = PathFor("with.vae");
        var attachments = new Dictionary<string, string>
        {
            ["scaling"] = """{"mean":[1.5,2],"std":[0.5,1]}""",
            ["threshold"] = "12.25",
            ["empty"] = "",
            ["unicode ÅΩ"] = "naïve – ✓",
        };

        model.Save(path, attachments);

        VaeModelFile.ReadAttachments(path).Should().Equal(attachments);
        using var loaded = VariationalAutoencoder.Load(path);
        foreach (var (name, tensor) in model.state_dict())
            TensorAssert.Identical(loaded.state_dict()[name], tensor).Should().BeTrue();
    }

    [Fact]
    public void AFileSavedWithoutAttachmentsHasNoneAndIsByteForByteTheFormatItAlwaysWas()
    {
        using var model = NewModel();
        var plain = PathFor("plain.vae");
        var empty = PathFor("empty.vae");
        model.Save(plain);
        model.Save(empty, new Dictionary<string, string>());

        VaeModelFile.ReadAttachments(plain).Should().BeEmpty();
        File.ReadAllBytes(empty).Should().Equal(File.ReadAllBytes(plain));
    }

    [Fact]
    public void TheStreamOverloadsReadOneModelsAttachmentsAndLeaveTheStreamAfterIt()
    {
        using var model = NewModel();
        using var stream = new MemoryStream();
        VaeModelFile.Save(model, stream, new Dictionary<string, string> { ["first"] = "1" });
        VaeModelFile.Save(model, stream, new Dictionary<string, string> { ["second"] = "2" });
        stream.Position = 0;

        VaeModelFile.ReadAttachments(stream).Should().ContainKey("first").And.HaveCount(1);
        VaeModelFile.ReadAttachments(stream).Should().ContainKey("second").And.HaveCount(1);
        stream.Position.Should().Be(stream.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void AnAttachmentNameMustNotBeEmptyOrTooLong(string? name)
    {
        name ??= new string('n', VaeModelFile.MaxAttachmentNameLength + 1);
        using var model = NewModel();
        var path = PathFor("bad-name.vae");
        model.Save(path);
        var before = File.ReadAllBytes(path);

        var save = () => model.Save(path, new Dictionary<string, string> { [name] = "x" });

        save.Should().Throw<ArgumentException>().WithParameterName("attachments").Which.Message.Should().Contain($"{name.Length}");
        File.ReadAllBytes(path).Should().Equal(before, "a refused save leaves the earlier file alone");
    }

    public static TheoryData<string, byte[], string> MalformedTrailers => new()
    {
        { "a count the bytes cannot hold", BitConverter.GetBytes(1_000_000), "attachment(s)" },
        { "a zero count", BitConverter.GetBytes(0), "attachment(s)" },
        { "a text longer than the file", Trailer([("a", "x")], lengthOverride: 1_000_000), "claims 1000000 bytes" },
        { "a name given twice", Trailer([("a", "x"), ("a", "y")]), "twice" },
        { "bytes after the last attachment", [.. Trailer([("a", "x")]), 0, 0, 0, 0, 0], "follow its last attachment" },
        { "text that is not UTF-8", Trailer([("a", "")], raw: [0xC3, 0x28]), "malformed" },
    };

    [Theory]
    [MemberData(nameof(MalformedTrailers))]
    public void MalformedAttachmentsWithAValidChecksumAreReportedAsCorrupted(string what, byte[] trailer, string expected)
    {
        var shapes = ExpectedParameters.Of(SmallOptions).Select(p => (p.Name, p.Shape));
        var json = VaeModelFile.SerializeOptions(SmallOptions);
        var path = PathFor("crafted.vae");
        File.WriteAllBytes(path, ModelFileBytes.Build(json, ModelFileBytes.Ramp(shapes), trailer: trailer));

        var read = () => VaeModelFile.ReadAttachments(path);

        read.Should().Throw<InvalidDataException>(what).Which.Message.Should().Contain(path).And.Contain(expected);
    }

    private static byte[] Trailer((string Name, string Text)[] all, int? lengthOverride = null, byte[]? raw = null)
    {
        using var memory = new MemoryStream();
        using var writer = new BinaryWriter(memory, Encoding.UTF8);
        writer.Write(all.Length);
        foreach (var (name, text) in all)
        {
            writer.Write(name);
            var bytes = raw ?? Encoding.UTF8.GetBytes(text);
            writer.Write(lengthOverride ?? bytes.Length);
            writer.Write(bytes);
        }
        writer.Flush();
        return memory.ToArray();
    }
}
