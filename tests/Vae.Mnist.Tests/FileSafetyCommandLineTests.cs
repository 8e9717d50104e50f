using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using Vae.Core;
using Vae.Samples;
using Vae.Samples.Tests;

namespace Vae.Mnist.Tests;

/// <summary>
/// What the commands write: never over their inputs, never a crash on a figure JSON cannot hold, in bounded memory for
/// any count, and no temporary file of a killed run left behind for good.
/// </summary>
public sealed class FileSafetyCommandLineTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private SampleProcess.Result Run(params string[] args)
    {
        using var run = SampleProcess.Start("Vae.Mnist", args, temp.Path);
        return run.WaitForExit();
    }

    private static JsonElement LastJsonLine(string output) =>
        JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    /// <summary>A small untrained 784-16-2 model saved as .vae; with <paramref name="poisoned"/> its weights are NaN.</summary>
    private string SavedModel(string name, bool poisoned = false)
    {
        var path = temp.File(name);
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { HiddenSizes = [16], LatentSize = 2 });
        if (poisoned)
        {
            using var noGrad = torch.no_grad();
            // Finite weights (a model file refuses NaN), large enough that every figure of the model overflows.
            foreach (var parameter in model.parameters()) parameter.fill_(1e38);
        }
        model.Save(path);
        return path;
    }

    [Fact]
    public void GenerateRefusesAnIdxFileThatIsTheModel()
    {
        var model = SavedModel("model.vae");
        var before = File.ReadAllBytes(model);

        var result = Run("generate", "--model", model, "--idx", model);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("--idx").And.Contain("same file as --model");
        File.ReadAllBytes(model).Should().Equal(before);
    }

    [Fact]
    public void GenerateRefusesAPictureThatIsTheModelThroughASymbolicLink()
    {
        var model = SavedModel("model.vae");
        var before = File.ReadAllBytes(model);
        var link = temp.File("link.png");
        File.CreateSymbolicLink(link, model);

        var result = Run("generate", "--model", model, "--png", link);

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("same file as --model");
        File.ReadAllBytes(model).Should().Equal(before);
    }

    [Fact]
    public void ConvertRefusesATargetThatIsItsSourceThroughALinkedFolder()
    {
        var model = SavedModel("model.vae");
        Directory.CreateSymbolicLink(temp.File("alias"), temp.Path);

        var result = Run("convert", "--from", model, "--to", Path.Combine(temp.File("alias"), "model.vae"), "--overwrite");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("--from and --to name the same file");
    }

    [Fact]
    public void EvaluateWritesAFigureThatIsNotFiniteAsNullWithANote()
    {
        var data = TinyMnist.Create(temp.File("data"));
        var model = SavedModel("overflowing.vae", poisoned: true);

        var result = Run("evaluate", "--model", model, "--data", data, "--k", "2", "--threads", "1", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        var json = LastJsonLine(result.Output);
        json.GetProperty("test_negative_elbo").ValueKind.Should().Be(JsonValueKind.Null);
        json.GetProperty("test_negative_elbo_note").GetString().Should().StartWith("not finite: ");
        json.GetProperty("images").GetInt32().Should().Be(64);
    }

    [Fact]
    public void TheSharedJsonLineWritesNullAndANoteForEveryNonFiniteFigure()
    {
        var line = JsonLine.Serialize(new
        {
            nan = double.NaN,
            up = double.PositiveInfinity,
            down = (float?)float.NegativeInfinity,
            fine = 1.5,
            none = (double?)null,
            list = new[] { 1.0, double.NaN },
        });

        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        root.GetProperty("nan").ValueKind.Should().Be(JsonValueKind.Null);
        root.GetProperty("nan_note").GetString().Should().Be("not finite: NaN");
        root.GetProperty("up_note").GetString().Should().Be("not finite: Infinity");
        root.GetProperty("down_note").GetString().Should().Be("not finite: -Infinity");
        root.GetProperty("fine").GetDouble().Should().Be(1.5);
        root.TryGetProperty("fine_note", out _).Should().BeFalse();
        root.GetProperty("none").ValueKind.Should().Be(JsonValueKind.Null);
        root.TryGetProperty("none_note", out _).Should().BeFalse("a missing figure is not a figure out of range");
        root.GetProperty("list")[1].ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public void GenerateStreamsALargeCountInBatchesInBoundedMemory()
    {
        const int count = 120_000;
        var model = SavedModel("model.vae");

        var result = Run("generate", "--model", model, "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--idx", "many-idx3-ubyte",
            "--png", "many.png", "--seed", "5", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        var json = LastJsonLine(result.Output);
        json.GetProperty("batch_size").GetInt32().Should().Be(GenerateCommand.BatchSize);
        json.GetProperty("pictured").GetInt32().Should().Be(GenerateCommand.PictureLimit);
        // One shot held 120,000 x 784 floats (376 MB) several times over; a batch of 1,000 is 3 MB.
        json.GetProperty("peak_working_set_mib").GetDouble().Should().BeLessThan(600);

        var path = temp.File("many-idx3-ubyte");
        new FileInfo(path).Length.Should().Be(16 + (long)count * 28 * 28);
        using var file = File.OpenRead(path);
        var head = new byte[16 + GenerateCommand.BatchSize * 28 * 28];
        file.ReadExactly(head);
        BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(0)).Should().Be(0x803);
        BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(4)).Should().Be(count);
        BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(8)).Should().Be(28);
        BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(12)).Should().Be(28);

        // The first batch is the one-shot draw of as many images with the same seed.
        using var loaded = VariationalAutoencoder.Load(model);
        using var generator = new torch.Generator(5);
        using var means = loaded.Sample(GenerateCommand.BatchSize, generator);
        var expected = means.clamp(0, 1).mul(255).round().to_type(torch.ScalarType.Byte).data<byte>().ToArray();
        head.Skip(16).Should().Equal(expected);
        file.Seek(-28 * 28, SeekOrigin.End);
        var last = new byte[28 * 28];
        file.ReadExactly(last);
        last.Should().NotBeEquivalentTo(new byte[28 * 28], "the last batch was written too");
    }

    [Fact]
    public void ASmallCountIsTheSameDrawAsBefore()
    {
        var model = SavedModel("model.vae");

        var result = Run("generate", "--model", model, "--count", "7", "--idx", "few-idx3-ubyte", "--seed", "2");

        result.ExitCode.Should().Be(0, result.ToString());
        using var loaded = VariationalAutoencoder.Load(model);
        using var generator = new torch.Generator(2);
        using var means = loaded.Sample(7, generator);
        var expected = means.clamp(0, 1).mul(255).round().to_type(torch.ScalarType.Byte).data<byte>().ToArray();
        File.ReadAllBytes(temp.File("few-idx3-ubyte")).Skip(16).Should().Equal(expected);
    }

    [Fact]
    public void ARunDeletesTheStaleTemporariesOfItsOwnFilesAndNothingElse()
    {
        var data = TinyMnist.Create(temp.File("data"));
        var output = temp.File("run");
        Directory.CreateDirectory(output);
        string[] stale = ["checkpoint.ckpt.0123456789abcdef0123456789abcdef.tmp", $"model.vae.{Guid.NewGuid():N}.tmp", $"loss.png.{Guid.NewGuid():N}.tmp"];
        string[] unrelated = ["notes.tmp", "checkpoint.ckpt.tmp", $"mine.csv.{Guid.NewGuid():N}.tmp", "model.vae.not-random.tmp"];
        foreach (var name in stale.Concat(unrelated)) File.WriteAllText(Path.Combine(output, name), "left by a killed run");

        var result = Run("--data", data, "--threads", "1", "--json", "--epochs", "1", "--hidden", "16", "--latent", "2", "--output", output);

        result.ExitCode.Should().Be(0, result.ToString());
        var left = Directory.GetFiles(output, "*.tmp").Select(Path.GetFileName).ToArray();
        left.Should().BeEquivalentTo(unrelated);
    }
}
