using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>A detector saved with its model in one file and loaded in one call scores and flags as the saved one.</summary>
[Collection(TrainedModelCollection.Name)]
public sealed class AnomalyDetectorPersistenceTests(TrainedModelFixture fixture) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-detector-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [InlineData(AnomalyScoreKind.NegativeElboAtMean)]
    [InlineData(AnomalyScoreKind.NegativeImportanceWeighted)]
    public void ALoadedDetectorGivesIdenticalScoresAndFlags(AnomalyScoreKind kind)
    {
        using var scope = NewDisposeScope();
        var detector = AnomalyDetector.Fit(fixture.Model, fixture.Validation, 97.5, kind, importanceSamples: 30, generator: new Generator(1));
        var path = Path.Combine(directory, $"{kind}.vae");

        detector.Save(path);
        using var loaded = AnomalyDetector.Load(path);

        loaded.Threshold.Should().Be(detector.Threshold);
        loaded.ScoreKind.Should().Be(kind);
        loaded.ImportanceSamples.Should().Be(30);
        loaded.Model.Should().NotBeSameAs(fixture.Model);
        var data = cat([fixture.Test, fixture.Anomalies]);
        loaded.Score(data, new Generator(7)).Should().Equal(detector.Score(data, new Generator(7)));
        var flags = loaded.Detect(data, new Generator(8));
        flags.Should().Equal(detector.Detect(data, new Generator(8)));
        flags.Should().Contain(r => r.IsAnomalous).And.Contain(r => !r.IsAnomalous);
    }

    [Fact]
    public void AnUnfittedThresholdOfInfinityAndOtherAttachmentsTravelToo()
    {
        var path = Path.Combine(directory, "infinite.vae");
        new AnomalyDetector(fixture.Model, double.PositiveInfinity).Save(path, new Dictionary<string, string> { ["scaling"] = "1 2 3" });

        using var loaded = AnomalyDetector.Load(path);

        loaded.Threshold.Should().Be(double.PositiveInfinity);
        VaeModelFile.ReadAttachments(path)["scaling"].Should().Be("1 2 3");
        using var modelAlone = VariationalAutoencoder.Load(path);
        modelAlone.Options.Should().Be(fixture.Model.Options);
    }

    [Fact]
    public void ADetectorLoadsFromBytesInMemoryAndErrorsNameTheGivenSource()
    {
        var path = Path.Combine(directory, "memory.vae");
        var detector = new AnomalyDetector(fixture.Model, 12.5, AnomalyScoreKind.NegativeElboAtMean);
        detector.Save(path);
        using var stream = new MemoryStream([1, 2, .. File.ReadAllBytes(path)]);
        stream.Position = 2;

        using var loaded = AnomalyDetector.Load(stream, "served.vae");

        loaded.Threshold.Should().Be(12.5);
        using var scope = NewDisposeScope();
        loaded.Score(fixture.Test).Should().Equal(detector.Score(fixture.Test));
        fixture.Model.Save(path);
        using var modelOnly = new MemoryStream(File.ReadAllBytes(path));
        FluentActions.Invoking(() => AnomalyDetector.Load(modelOnly, "served.vae")).Should().Throw<InvalidDataException>()
            .WithMessage("'served.vae' holds a model but no anomaly detector*");
    }

    [Fact]
    public void TheDetectorsAttachmentNameIsReserved()
    {
        var save = () => new AnomalyDetector(fixture.Model, 1).Save(Path.Combine(directory, "x.vae"),
            new Dictionary<string, string> { [AnomalyDetector.AttachmentName] = "{}" });

        save.Should().Throw<ArgumentException>().Which.Message.Should().Contain(AnomalyDetector.AttachmentName);
        File.Exists(Path.Combine(directory, "x.vae")).Should().BeFalse();
    }

    [Fact]
    public void AModelSavedWithoutADetectorIsRefusedNamingTheFile()
    {
        var path = Path.Combine(directory, "model.vae");
        fixture.Model.Save(path);

        var load = () => AnomalyDetector.Load(path);

        load.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(path).And.Contain("AnomalyDetector.Save");
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { "not json", "not JSON" },
        { "[1]", "not a JSON object" },
        { """{"Format":2,"Threshold":1,"ScoreKind":"NegativeElboAtMean","ImportanceSamples":5}""", "Format is 2" },
        { """{"Format":1,"ScoreKind":"NegativeElboAtMean","ImportanceSamples":5}""", "Threshold is missing" },
        { """{"Format":1,"Threshold":"high","ScoreKind":"NegativeElboAtMean","ImportanceSamples":5}""", "Threshold" },
        { """{"Format":1,"Threshold":"NaN","ScoreKind":"NegativeElboAtMean","ImportanceSamples":5}""", "Threshold is NaN" },
        { """{"Format":1,"Threshold":1,"ScoreKind":"Loudness","ImportanceSamples":5}""", "ScoreKind is 'Loudness'" },
        { """{"Format":1,"Threshold":1,"ScoreKind":"1","ImportanceSamples":5}""", "ScoreKind is '1'" },
        { """{"Format":1,"Threshold":1,"ScoreKind":"NegativeElboAtMean","ImportanceSamples":0}""", "ImportanceSamples is 0" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void DamagedSettingsAreRefusedNamingTheFileAndTheField(string settings, string detail)
    {
        var path = Path.Combine(directory, "damaged.vae");
        VaeModelFile.Save(fixture.Model, path, new Dictionary<string, string> { [AnomalyDetector.AttachmentName] = settings });

        var load = () => AnomalyDetector.Load(path);

        load.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(path).And.Contain(detail);
    }

    [Fact]
    public void ALoadedDetectorDisposesItsModelAndOneMadeFromTheCallersModelDoesNot()
    {
        var path = Path.Combine(directory, "owned.vae");
        var borrowed = new AnomalyDetector(fixture.Model, 3);
        borrowed.Save(path);
        var loaded = AnomalyDetector.Load(path);

        borrowed.Dispose();
        loaded.Dispose();
        loaded.Dispose();

        FluentActions.Invoking(() => fixture.Model.Options.InputSize.Should().Be(SyntheticData.Features)).Should().NotThrow();
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => loaded.Score(fixture.Test)).Should().Throw<ObjectDisposedException>();
        borrowed.Score(fixture.Test).Should().HaveCount(100);
    }
}
