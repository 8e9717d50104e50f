using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>The checkpoint file: its container, what it stores, and the checks of every field when it is read.</summary>
public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static VaeTrainerOptions Quick(int epochs) => new() { Epochs = epochs, BatchSize = 32, LearningRate = 3e-3, Seed = 5 };

    /// <summary>The checkpoint of a finished three-epoch run, with validation so that it carries best weights.</summary>
    private string TrainedCheckpoint(string name = "run.ckpt")
    {
        var path = Path.Combine(directory, name);
        using var scope = NewDisposeScope();
        var data = Binary(96, 64, seed: 3);
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(3) with { CheckpointPath = path });
        trainer.Fit(data, data);
        return path;
    }

    [Fact]
    public void ACheckpointStoresNeitherTheDeviceNorItsOwnPath()
    {
        var path = TrainedCheckpoint();
        var json = CheckpointFile.Read(path).Json;

        json["Options"]!.AsObject().ContainsKey("Device").Should().BeFalse();
        json["Options"]!.AsObject().ContainsKey("CheckpointPath").Should().BeFalse();
        Encoding.UTF8.GetString(File.ReadAllBytes(path)).Should().NotContain(directory);
    }

    [Fact]
    public void AMovedCheckpointResumesAndKeepsCheckpointingWhereItIsNow()
    {
        var original = TrainedCheckpoint();
        var moved = Path.Combine(directory, "elsewhere", "moved.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        File.Move(original, moved);

        using var trainer = VaeTrainer.Resume(moved);

        trainer.Options.CheckpointPath.Should().Be(moved);
        trainer.Options.Device.Should().Be(new VaeTrainerOptions().Device);
        trainer.CompletedEpochs.Should().Be(3);
    }

    [Fact]
    public void AVersion1CheckpointWithTheChecksumAfterThePayloadStillResumes()
    {
        var path = TrainedCheckpoint();
        var file = CheckpointFile.Read(path);
        var options = file.Json["Options"]!.AsObject();
        options["Device"] = "cpu";
        options["CheckpointPath"] = "/home/someone/else/run.ckpt";
        var old = Path.Combine(directory, "version1.ckpt");
        File.WriteAllBytes(old, file.ToBytes(version: 1));

        using var fromOld = VaeTrainer.Resume(old);
        using var fromNew = VaeTrainer.Resume(path);

        fromOld.CompletedEpochs.Should().Be(fromNew.CompletedEpochs);
        fromOld.History.Select(h => h.Train.Loss).Should().Equal(fromNew.History.Select(h => h.Train.Loss));
        fromOld.Options.CheckpointPath.Should().Be(old);
    }

    public static TheoryData<string, string, string> ImpossibleFields => new()
    {
        { "State", "CompletedEpochs=-4", "State.CompletedEpochs" },
        { "State", "CompletedEpochs=9", "State.CompletedEpochs" },
        { "State", "BatchInEpoch=-1", "State.BatchInEpoch" },
        { "State", "GlobalStep=-5", "State.GlobalStep" },
        { "State", "EpochsWithoutImprovement=-2", "State.EpochsWithoutImprovement" },
        { "State", "BatchesPerEpoch=-1", "State.BatchesPerEpoch" },
        { "State", "ShuffleStateEpoch=7", "State.ShuffleStateEpoch" },
        { "State", "LearningRate=-1", "State.LearningRate" },
        { "State", "PlateauBadEpochs=-1", "State.PlateauBadEpochs" },
        { "State", "PlateauCooldown=3", "State.PlateauCooldown" },
        { "Options", "Epochs=-1", "Options.Epochs" },
        { "Options", "BatchSize=0", "Options.BatchSize" },
        { "Architecture", "LatentSize=-3", "Architecture.LatentSize" },
    };

    [Theory]
    [MemberData(nameof(ImpossibleFields))]
    public void AnImpossibleFieldWithAValidChecksumIsRefusedNamingTheFileAndTheField(string section, string assignment, string field)
    {
        var path = TrainedCheckpoint();
        var file = CheckpointFile.Read(path);
        var (name, value) = (assignment.Split('=')[0], int.Parse(assignment.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));
        file.Json[section]![name] = value;
        var crafted = Path.Combine(directory, "crafted.ckpt");
        File.WriteAllBytes(crafted, file.ToBytes());

        var resume = () => VaeTrainer.Resume(crafted);

        resume.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(crafted).And.Contain(field);
    }

    [Fact]
    public void ANegativeEpochCountIsRefusedByLoadCheckpointBeforeTheTrainerChanges()
    {
        var path = TrainedCheckpoint();
        var file = CheckpointFile.Read(path);
        file.Json["State"]!["CompletedEpochs"] = -4;
        var crafted = Path.Combine(directory, "negative.ckpt");
        File.WriteAllBytes(crafted, file.ToBytes());
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        using var trainer = new VaeTrainer(model, Quick(3));
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());

        var load = () => trainer.LoadCheckpoint(crafted);

        load.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("State.CompletedEpochs").And.Contain("-4");
        trainer.CompletedEpochs.Should().Be(0);
        foreach (var (name, tensor) in model.state_dict()) TensorAssert.Identical(tensor, before[name]).Should().BeTrue();
    }

    [Fact]
    public void AveragedWeightsOfTheWrongSizeOrMissingAreRefusedNamingTheSection()
    {
        var path = Path.Combine(directory, "averaged.ckpt");
        int length;
        using (var scope = NewDisposeScope())
        {
            var data = Binary(96, 64, seed: 3);
            using var model = SmallModel();
            length = (int)model.parameters().Sum(p => p.numel()) * sizeof(float);
            using var trainer = new VaeTrainer(model, Quick(2) with { CheckpointPath = path, WeightAverageDecay = 0.9 });
            trainer.Fit(data, data);
        }
        var file = CheckpointFile.Read(path);
        file.Json["HasWeightAverage"]!.GetValue<bool>().Should().BeTrue();
        using (var resumed = VaeTrainer.Resume(path))
            resumed.Model.Dispose();

        // The last section, [length][the average's bytes], four bytes short.
        var rest = file.Rest;
        var start = rest.Length - length - sizeof(int);
        BitConverter.ToInt32(rest, start).Should().Be(length);
        var shorter = rest[..start].Concat(BitConverter.GetBytes(length - 4)).Concat(rest[(start + 4)..^4]).ToArray();
        var crafted = Path.Combine(directory, "short-average.ckpt");
        File.WriteAllBytes(crafted, file.WithRest(shorter).ToBytes());
        FluentActions.Invoking(() => VaeTrainer.Resume(crafted)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(crafted).And.Contain($"averaged weights hold {length - 4} bytes");

        // A header that promises the section without it.
        var plain = TrainedCheckpoint("plain.ckpt");
        var promised = CheckpointFile.Read(plain);
        promised.Json["HasWeightAverage"] = true;
        var missing = Path.Combine(directory, "missing-average.ckpt");
        File.WriteAllBytes(missing, promised.ToBytes());
        FluentActions.Invoking(() => VaeTrainer.Resume(missing)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(missing).And.Contain("the averaged weights");
    }

    [Fact]
    public void AHistoryThatDoesNotMatchTheCompletedEpochsIsRefused()
    {
        var path = TrainedCheckpoint();
        var file = CheckpointFile.Read(path);
        file.Json["History"]!.AsArray().RemoveAt(0);
        var crafted = Path.Combine(directory, "history.ckpt");
        File.WriteAllBytes(crafted, file.ToBytes());

        FluentActions.Invoking(() => VaeTrainer.Resume(crafted)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(crafted).And.Contain("History");
    }

    [Fact]
    public void BestWeightNamesThatAreNotParametersAreRefused()
    {
        var path = TrainedCheckpoint();
        var file = CheckpointFile.Read(path);
        var names = file.Json["BestWeightNames"]!.AsArray();
        names.Should().NotBeEmpty("the run had validation data");
        names[0] = "encoder.nothing.weight";
        var crafted = Path.Combine(directory, "names.ckpt");
        File.WriteAllBytes(crafted, file.ToBytes());

        FluentActions.Invoking(() => VaeTrainer.Resume(crafted)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(crafted).And.Contain("BestWeightNames").And.Contain("encoder.nothing.weight");
    }

    [Fact]
    public void AnArchitectureThatDoesNotMatchTheStoredWeightsIsRefusedBeforeAModelIsBuilt()
    {
        var path = TrainedCheckpoint();
        var file = CheckpointFile.Read(path);
        file.Json["Architecture"]!["HiddenSizes"] = new JsonArray(2147483647);
        var crafted = Path.Combine(directory, "huge.ckpt");
        File.WriteAllBytes(crafted, file.ToBytes());

        // Building that model would fail to allocate terabytes; the file must be refused as invalid first.
        FluentActions.Invoking(() => VaeTrainer.Resume(crafted)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(crafted).And.Contain("64-2147483647-4");
    }

    /// <summary>
    /// A checkpoint taken apart by the documented layout: identifier, version, payload length, then the SHA-256 and the
    /// payload (version 2) or the payload and the SHA-256 (version 1); the payload starts with the JSON header as a
    /// length-prefixed string.
    /// </summary>
    private sealed class CheckpointFile
    {
        private const int Prefix = 8 + 4 + 8;

        private CheckpointFile(byte[] identifier, int version, JsonNode json, byte[] rest)
        {
            Identifier = identifier;
            Version = version;
            Json = json;
            Rest = rest;
        }

        public byte[] Identifier { get; }

        public int Version { get; }

        public JsonNode Json { get; }

        public byte[] Rest { get; }

        /// <summary>The same file with other sections after the header.</summary>
        public CheckpointFile WithRest(byte[] rest) => new(Identifier, Version, Json, rest);

        public static CheckpointFile Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var version = BitConverter.ToInt32(bytes, 8);
            var length = (int)BitConverter.ToInt64(bytes, 12);
            var payload = version == 1 ? bytes.AsSpan(Prefix, length).ToArray() : bytes.AsSpan(Prefix + 32, length).ToArray();
            using var reader = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
            var json = JsonNode.Parse(reader.ReadString())!;
            return new CheckpointFile(bytes[..8], version, json, payload[(int)reader.BaseStream.Position..]);
        }

        /// <summary>The file with the (edited) JSON and a valid checksum, in its own version unless told otherwise.</summary>
        public byte[] ToBytes(int? version = null)
        {
            var layout = version ?? Version;
            using var payload = new MemoryStream();
            using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Json.ToJsonString());
                writer.Write(Rest);
            }
            var bytes = payload.ToArray();
            var hash = SHA256.HashData(bytes);
            using var file = new MemoryStream();
            using var output = new BinaryWriter(file);
            output.Write(Identifier);
            output.Write(layout);
            output.Write((long)bytes.Length);
            if (layout == 1)
            {
                output.Write(bytes);
                output.Write(hash);
            }
            else
            {
                output.Write(hash);
                output.Write(bytes);
            }
            return file.ToArray();
        }
    }
}
