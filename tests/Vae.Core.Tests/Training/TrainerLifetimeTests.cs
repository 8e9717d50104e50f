using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>What a trainer does once disposed, and with two callers at once.</summary>
public sealed class TrainerLifetimeTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-lifetime-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    public static TheoryData<string> Members => new()
    {
        "Options", "Model", "UsesFusedCpuKernels", "History", "CompletedEpochs", "Fit(Tensor)", "Fit(batches)", "SaveCheckpoint", "LoadCheckpoint",
    };

    [Theory]
    [MemberData(nameof(Members))]
    public void EveryMemberOfADisposedTrainerThrowsObjectDisposedException(string member)
    {
        using var scope = NewDisposeScope();
        var data = Binary(32, 64, seed: 44);
        var path = Path.Combine(directory, "saved.ckpt");
        using var model = SmallModel();
        var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 32 });
        trainer.SaveCheckpoint(path);
        trainer.Dispose();
        trainer.Dispose(); // a second Dispose is harmless

        Action act = member switch
        {
            "Options" => () => _ = trainer.Options,
            "Model" => () => _ = trainer.Model,
            "UsesFusedCpuKernels" => () => _ = trainer.UsesFusedCpuKernels,
            "History" => () => _ = trainer.History,
            "CompletedEpochs" => () => _ = trainer.CompletedEpochs,
            "Fit(Tensor)" => () => trainer.Fit(data),
            "Fit(batches)" => () => trainer.Fit(_ => [data]),
            "SaveCheckpoint" => () => trainer.SaveCheckpoint(Path.Combine(directory, "after.ckpt")),
            _ => () => trainer.LoadCheckpoint(path),
        };

        act.Should().Throw<ObjectDisposedException>().Where(e => e.ObjectName.Contains(nameof(VaeTrainer)));
        File.Exists(Path.Combine(directory, "after.ckpt")).Should().BeFalse();
    }

    [Fact]
    public void ASecondConcurrentFitThrowsAndTheFirstRunIsUnharmed()
    {
        using var scope = NewDisposeScope();
        var data = Binary(128, 64, seed: 45);
        var options = new VaeTrainerOptions { Epochs = 2, BatchSize = 32, Seed = 5 };
        using var alone = SmallModel();
        using (var trainer = new VaeTrainer(alone, options)) trainer.Fit(data);

        using var model = SmallModel();
        using var shared = new VaeTrainer(model, options);
        using var firstStepDone = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        TrainingResult? result = null;
        Exception? failure = null;
        var first = new Thread(() =>
        {
            var firstThread = Environment.CurrentManagedThreadId;
            try
            {
                result = shared.Fit(data, null, new SyncProgress<TrainingProgress>(p =>
                {
                    if (Environment.CurrentManagedThreadId != firstThread || p is not { Epoch: 1, Batch: 1, CompletedEpoch: null }) return;
                    firstStepDone.Set();
                    release.Wait();
                }));
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        first.Start();

        firstStepDone.Wait(TimeSpan.FromMinutes(1)).Should().BeTrue();
        var second = () => shared.Fit(data);
        var load = () => shared.LoadCheckpoint(Path.Combine(directory, "none.ckpt"));
        var save = () => shared.SaveCheckpoint(Path.Combine(directory, "during.ckpt"));
        var dispose = () => shared.Dispose();
        try
        {
            second.Should().Throw<InvalidOperationException>().Where(e => e.Message.Contains("already"));
            load.Should().Throw<InvalidOperationException>();
            save.Should().Throw<InvalidOperationException>();
            dispose.Should().Throw<InvalidOperationException>();
        }
        finally
        {
            release.Set();
        }

        first.Join();
        failure.Should().BeNull();
        result!.History.Should().HaveCount(2);
        SameWeights(model, Weights(alone)).Should().BeTrue();
        var after = () => shared.Fit(data);
        after.Should().NotThrow("the trainer is free again once the first run ended");
    }

    [Fact]
    public void TheProgressCallbackMaySaveACheckpointButNotStartAnotherRun()
    {
        using var scope = NewDisposeScope();
        var data = Binary(64, 64, seed: 46);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 32 });
        var path = Path.Combine(directory, "from-callback.ckpt");
        Exception? nested = null;
        trainer.Fit(data, null, new SyncProgress<TrainingProgress>(p =>
        {
            if (p is not { Batch: 1, CompletedEpoch: null }) return;
            trainer.SaveCheckpoint(path);
            try
            {
                trainer.Fit(data);
            }
            catch (InvalidOperationException e)
            {
                nested = e;
            }
        }));

        File.Exists(path).Should().BeTrue();
        nested.Should().NotBeNull().And.Subject.As<Exception>().Message.Should().Contain("progress callback");
        using var resumed = VaeTrainer.Resume(path);
        resumed.CompletedEpochs.Should().Be(0);
    }
}
