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
            foreach (var parameter in model.parameters()) parameter.fill_(double.NaN);
        }
        model.Save(path);
        return path;
    }

    [Fact]
    public void EvaluateWritesAFigureThatIsNotFiniteAsNullWithANote()
    {
        var data = TinyMnist.Create(temp.File("data"));
        var model = SavedModel("nan.vae", poisoned: true);

        var result = Run("evaluate", "--model", model, "--data", data, "--k", "2", "--threads", "1", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        var json = LastJsonLine(result.Output);
        json.GetProperty("test_negative_elbo").ValueKind.Should().Be(JsonValueKind.Null);
        json.GetProperty("test_negative_elbo_note").GetString().Should().Be("not finite: NaN");
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
}
