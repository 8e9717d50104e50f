using TorchSharp;
using Vae.Core;
using Vae.Samples.Tests;

namespace Vae.Mnist.Tests;

/// <summary>The training program as a user, a container or a scheduler runs it: a process with arguments, output and signals.</summary>
public sealed class TrainCommandLineTests : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private readonly TempFolder temp = new();
    private readonly string data;

    public TrainCommandLineTests() => data = TinyMnist.Create(temp.File("data"));

    public void Dispose() => temp.Dispose();

    private SampleProcess.Result Run(params string[] args)
    {
        using var run = SampleProcess.Start("Vae.Mnist", args, temp.Path);
        return run.WaitForExit();
    }

    /// <summary>A quick run: the tiny digits, one thread, no progress bars.</summary>
    private SampleProcess.Result Train(params string[] args) => Run([.. args, "--data", data, "--threads", "1", "--json"]);

    /// <summary>A checkpoint as a run of a 784-16-2 model leaves it before its first epoch.</summary>
    private string SavedCheckpoint(string folder)
    {
        var path = Path.Combine(temp.File(folder), "checkpoint.ckpt");
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { HiddenSizes = [16], LatentSize = 2 });
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1 });
        trainer.SaveCheckpoint(path);
        return path;
    }

    private string[] TemporaryFiles(string folder) => Directory.GetFiles(temp.File(folder), "*.tmp");

    [Theory]
    [InlineData("--help")]
    [InlineData("evaluate", "--help")]
    public void HelpShowsTheOptions(params string[] args)
    {
        var result = Run(args);

        result.ExitCode.Should().Be(0, result.ToString());
        result.Output.Should().Contain("--data").And.Contain("--seed");
        result.Error.Should().BeEmpty();
    }

    [Fact]
    public void TheHelpOfTrainingNamesTheGzipFilesAsWritten() =>
        Run("--help").Output.Should().Contain("train-images-idx3-ubyte[.gz]");

    [Fact]
    public void AMisspelledOptionIsAnErrorThatSuggestsTheOptionMeant()
    {
        var result = Train("--epoch", "1", "--output", "run");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("'--epoch'").And.Contain("--epochs");
        File.Exists(temp.File("run/model.vae")).Should().BeFalse("nothing may train on a command line that was not understood");
    }

    [Theory]
    [InlineData("--frobnicate")]
    [InlineData("stray")]
    public void AnUnknownOptionOrAStrayArgumentIsAnErrorThatNamesIt(string unknown)
    {
        var result = Train("--epochs", "1", unknown, "--output", "run");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain(unknown);
        File.Exists(temp.File("run/model.vae")).Should().BeFalse();
    }

    [Fact]
    public void ARunWithoutResumeIntoAFolderWithACheckpointStopsAndOffersResume()
    {
        var checkpoint = SavedCheckpoint("run");
        var before = File.ReadAllBytes(checkpoint);

        var result = Train("--epochs", "1", "--output", "run");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("--resume").And.Contain("--overwrite").And.Contain("run");
        File.ReadAllBytes(checkpoint).Should().Equal(before);
        File.Exists(temp.File("run/model.vae")).Should().BeFalse();
    }

    [Fact]
    public void OverwriteStartsAFreshRunInAFolderWithACheckpoint()
    {
        SavedCheckpoint("run");

        var result = Train("--overwrite", "--epochs", "1", "--latent", "3", "--hidden", "8", "--output", "run");

        result.ExitCode.Should().Be(0, result.ToString());
        VaeModelFile.ReadOptions(temp.File("run/model.vae")).LatentSize.Should().Be(3);
    }

    [Fact]
    public void ResumeWithoutACheckpointStartsTheRun()
    {
        var result = Train("--resume", "--epochs", "1", "--hidden", "8", "--output", "fresh");

        result.ExitCode.Should().Be(0, result.ToString());
        File.Exists(temp.File("fresh/model.vae")).Should().BeTrue();
        File.Exists(temp.File("fresh/checkpoint.ckpt")).Should().BeTrue();
    }

    [Theory]
    [InlineData("--latent", "3", "2")]
    [InlineData("--hidden", "32", "16")]
    [InlineData("--arch", "conv", "mlp")]
    [InlineData("--batch-size", "64", "128")]
    [InlineData("--lr", "0.01", "0.001")]
    [InlineData("--seed", "7", "1")]
    public void ResumeRejectsAFlagThatContradictsTheCheckpoint(string flag, string given, string stored)
    {
        var checkpoint = SavedCheckpoint("run");
        var before = File.ReadAllBytes(checkpoint);

        var result = Train("--resume", "--epochs", "1", flag, given, "--output", "run");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain(flag).And.Contain(given).And.Contain(stored);
        File.ReadAllBytes(checkpoint).Should().Equal(before);
    }

    [Fact]
    public void ResumeAcceptsFlagsThatAgreeWithTheCheckpoint()
    {
        SavedCheckpoint("run");

        var result = Train("--resume", "--epochs", "1", "--latent", "2", "--hidden=16", "--seed", "1", "--lr", "1e-3", "--output", "run");

        result.ExitCode.Should().Be(0, result.ToString());
        VaeModelFile.ReadOptions(temp.File("run/model.vae")).LatentSize.Should().Be(2);
    }

    [Theory]
    [InlineData(SigTerm, 143, "SIGTERM")]
    [InlineData(SigInt, 130, "interrupted")]
    public void AStopSignalWritesTheCheckpointAndSaysHowToResume(int signal, int exitCode, string message)
    {
        // The shipped digits and the default model: an epoch is long enough to be interrupted in the middle.
        using var run = SampleProcess.Start("Vae.Mnist", ["--epochs", "1000", "--threads", "1", "--json", "--output", "run"], temp.Path);
        var checkpoint = temp.File("run/checkpoint.ckpt");
        WaitUntil(() => File.Exists(checkpoint) || run.HasExited);
        Thread.Sleep(500);
        var signalled = DateTime.UtcNow;

        run.Signal(signal);
        var result = run.WaitForExit();

        result.ExitCode.Should().Be(exitCode, result.ToString());
        result.Error.Should().Contain(message).And.Contain("--resume");
        File.GetLastWriteTimeUtc(checkpoint).Should().BeOnOrAfter(signalled.AddSeconds(-0.05), "the epoch in progress is checkpointed when the signal comes");
        TemporaryFiles("run").Should().BeEmpty();
        using var resumed = VaeTrainer.Resume(checkpoint);
        using var model = resumed.Model;
        model.Options.LatentSize.Should().Be(20);
    }

    [Fact]
    public void ASecondRunIntoTheSameFolderStopsAtOnceAndLeavesTheFirstAlone()
    {
        using var first = SampleProcess.Start("Vae.Mnist", ["--epochs", "1000", "--threads", "1", "--json", "--output", "run"], temp.Path);
        WaitUntil(() => File.Exists(temp.File("run/checkpoint.ckpt")) || first.HasExited);

        using var second = SampleProcess.Start("Vae.Mnist", ["--resume", "--epochs", "1000", "--threads", "1", "--json", "--output", "run"], temp.Path);
        var refused = second.WaitForExit(TimeSpan.FromSeconds(60));

        refused.Should().NotBeNull("the second run must not train into a folder another run is using");
        refused!.ExitCode.Should().Be(1, refused.ToString());
        refused.Error.Should().Contain("run").And.Contain("already");
        first.HasExited.Should().BeFalse();
        first.Signal(SigTerm);
        first.WaitForExit().ExitCode.Should().Be(143);
        TemporaryFiles("run").Should().BeEmpty();
    }

    [Fact]
    public void ADamagedCheckpointIsReportedWithItsFileName()
    {
        var checkpoint = SavedCheckpoint("run");
        File.WriteAllBytes(checkpoint, File.ReadAllBytes(checkpoint)[..19]);

        var result = Train("--resume", "--output", "run");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("checkpoint.ckpt").And.Contain("truncated");
    }

    [Fact]
    public void ACorruptGzipFileIsReportedWithItsFileName()
    {
        var folder = temp.File("corrupt");
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            File.WriteAllBytes(Path.Combine(folder, name + ".gz"), [0x1f, 0x8b, 0x09, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);

        var result = Run("--data", folder, "--output", "run", "--json");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("-ubyte.gz");
    }

    [Fact]
    public void VerbosePrintsTheStackTraceAndExitsWithOne()
    {
        var checkpoint = SavedCheckpoint("run");
        File.WriteAllBytes(checkpoint, File.ReadAllBytes(checkpoint)[..19]);

        var result = Train("--resume", "--output", "run", "--verbose");

        result.ExitCode.Should().Be(1, result.ToString());
        result.Error.Should().Contain("checkpoint.ckpt").And.Contain(" at ");
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException("the sample did not start training within two minutes");
            Thread.Sleep(50);
        }
    }
}
