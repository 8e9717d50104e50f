using System.Text.Json;
using Vae.Samples.Tests;
using Vae.Tests.TensorBoard;

namespace Vae.Mnist.Tests;

/// <summary><c>--tensorboard DIR</c>: the run's event file holds every epoch's scalars and the image grids as PNGs.</summary>
public sealed class TensorBoardOptionTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ARunWritesScalarsAndImageGridsThatReadBack()
    {
        var data = TinyMnist.Create(temp.File("data"));
        var logs = temp.File("logs");
        using var run = SampleProcess.Start("Vae.Mnist",
            ["--epochs", "2", "--hidden", "16", "--latent", "2", "--output", "run", "--tensorboard", logs, "--data", data, "--threads", "1", "--json"], temp.Path);
        var result = run.WaitForExit();
        result.ExitCode.Should().Be(0, result.ToString());

        var file = Directory.GetFiles(logs, "events.out.tfevents.*").Should().ContainSingle().Subject;
        var events = TensorBoardEventFile.Read(file);
        var scalars = TensorBoardEventFile.Scalars(events);
        scalars["loss/train"].Select(s => s.Step).Should().Equal(1, 2);
        scalars["loss/validation"].Should().HaveCount(2);
        scalars.Keys.Should().Contain(["beta", "learning_rate", "images_per_second", "kl/train", "reconstruction/validation"]);
        var summary = JsonDocument.Parse(result.Output.Trim().Split('\n')[^1]).RootElement;
        scalars["loss/train"][^1].Value.Should().Be((float)summary.GetProperty("train_loss").GetDouble());

        var images = events.SelectMany(e => e.Values.Where(v => v.Image is not null).Select(v => (e.Step, v.Tag, Image: v.Image!))).ToList();
        images.Select(i => (i.Step, i.Tag)).Should().Equal(
            (1, "images/inputs"), (1, "images/reconstructions"), (1, "images/samples"), (2, "images/reconstructions"), (2, "images/samples"));
        byte[] pngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        foreach (var (_, tag, image) in images)
        {
            image.Png.Take(8).Should().Equal(pngSignature, tag);
            // 32 test digits in a 6 x 6 grid, 64 samples in 8 x 8, each cell 28 pixels and a 2-pixel border.
            var side = tag == "images/samples" ? 8 * 30 + 2 : 6 * 30 + 2;
            (image.Width, image.Height).Should().Be((side, side), tag);
        }
    }

    [Fact]
    public void ABlankFolderIsRefused()
    {
        using var run = SampleProcess.Start("Vae.Mnist", ["--tensorboard", " ", "--epochs", "1"], temp.Path);
        var result = run.WaitForExit();

        result.ExitCode.Should().NotBe(0);
        result.Error.Should().Contain("--tensorboard");
    }
}
