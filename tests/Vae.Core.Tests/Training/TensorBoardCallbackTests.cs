using TorchSharp;
using Vae.Tests.TensorBoard;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// The TensorBoard callback's event file, read back record by record with both CRCs checked: the file version, then
/// every scalar of every epoch with the trainer's values. This test project carries no SkiaSharp native library, so
/// asking for images here must fail at once with the remedy (the sample's tests read images back).
/// </summary>
public sealed class TensorBoardCallbackTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-tensorboard-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Crc32CIsCastagnolis() =>
        // The check value of CRC-32C (RFC 3720, appendix B.4).
        TensorBoardEventFile.Crc32C("123456789"u8).Should().Be(0xE3069283u);

    [Fact]
    public void EveryEpochsScalarsAreReadBackFromTheEventFile()
    {
        using var scope = NewDisposeScope();
        var logs = Path.Combine(directory, "run");
        using var callback = new TensorBoardCallback(logs);
        using var model = SmallModel();
        var options = new VaeTrainerOptions
        {
            Epochs = 3, BatchSize = 32, Seed = 5, KlWarmupEpochs = 3, LearningRateSchedule = new CosineAnnealingSchedule(), Callbacks = [callback],
        };
        IReadOnlyList<EpochSummary> history;
        using (var trainer = new VaeTrainer(model, options))
            history = trainer.Fit(Binary(100, 64, seed: 1), Binary(40, 64, seed: 2)).History;

        callback.LogDirectory.Should().Be(logs);
        var file = Directory.GetFiles(logs, "events.out.tfevents.*").Should().ContainSingle().Subject;
        var events = TensorBoardEventFile.Read(file);
        events[0].FileVersion.Should().Be("brain.Event:2");
        var scalars = TensorBoardEventFile.Scalars(events);
        var expected = new Dictionary<string, Func<EpochSummary, double>>
        {
            ["loss/train"] = h => h.Train.Loss,
            ["reconstruction/train"] = h => h.Train.Reconstruction,
            ["kl/train"] = h => h.Train.Kl,
            ["loss/validation"] = h => h.Validation!.Loss,
            ["reconstruction/validation"] = h => h.Validation!.Reconstruction,
            ["kl/validation"] = h => h.Validation!.Kl,
            ["beta"] = h => h.Beta,
            ["learning_rate"] = h => h.LearningRate,
            ["images_per_second"] = h => h.ImagesPerSecond,
        };
        scalars.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (tag, value) in expected)
            scalars[tag].Should().Equal(history.Select(h => ((long)h.Epoch, (float)value(h))), tag);
        // The warm-up and the schedule move, so the values are the epochs' own, not one repeated.
        scalars["beta"].Select(s => s.Value).Should().OnlyHaveUniqueItems();
        scalars["learning_rate"].Select(s => s.Value).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void ADamagedRecordIsCaughtByItsCrc()
    {
        var logs = Path.Combine(directory, "damaged");
        using (var callback = new TensorBoardCallback(logs))
        using (var model = SmallModel())
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, Callbacks = [callback] }))
            trainer.Fit(Binary(40, 64, seed: 1));
        var file = Directory.GetFiles(logs).Single();
        var bytes = File.ReadAllBytes(file);
        bytes[^6] ^= 0x01; // inside the last record's data
        File.WriteAllBytes(file, bytes);

        FluentActions.Invoking(() => TensorBoardEventFile.Read(file)).Should().Throw<InvalidDataException>().WithMessage("*data CRC*");
    }

    [Fact]
    public void ImagesWithoutSkiaSharpsNativeLibraryAreRefusedWithTheRemedy()
    {
        var create = () => new TensorBoardCallback(Path.Combine(directory, "images"), new TensorBoardImages());

        create.Should().Throw<InvalidOperationException>().Which.Message.Should().Contain("SkiaSharp.NativeAssets").And.Contain("TensorBoardImages");
        // A SkiaSharp object half made without its native library throws from its finalizer, which ends the process:
        // the check must make none.
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    public static TheoryData<TensorBoardImages, string> BadImages => new()
    {
        { new TensorBoardImages { Channels = 2 }, "Channels" },
        { new TensorBoardImages { Height = 0 }, "Height" },
        { new TensorBoardImages { Samples = -1 }, "Samples" },
        { new TensorBoardImages { ValidationInputs = -1 }, "ValidationInputs" },
        { new TensorBoardImages { EveryEpochs = 0 }, "EveryEpochs" },
        { new TensorBoardImages { Samples = 0, ValidationInputs = 0 }, "Samples" },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public void ImageSettingsOutOfRangeAreRefusedByName(TensorBoardImages images, string name)
    {
        var create = () => new TensorBoardCallback(Path.Combine(directory, "bad"), images);

        create.Should().Throw<ArgumentException>().Which.Message.Should().Contain($"TensorBoardImages.{name}");
    }
}
