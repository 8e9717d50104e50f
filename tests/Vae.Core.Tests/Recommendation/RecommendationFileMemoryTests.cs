using Vae.Core.Recommendation;
using Vae.Samples.Tests;

namespace Vae.Core.Tests;

/// <summary>
/// Model files and checkpoints of catalogue-sized models go from the tensors straight into the file: writing one
/// allocates no managed copy of the weights (once the whole payload, grown by doubling, was held several times over,
/// more than the training itself used), and the bytes are those of the container written from one buffer.
/// </summary>
public sealed class RecommendationFileMemoryTests : IDisposable
{
    // 3,000 items x 600 hidden units: the encoder's input layer and the prior's copy are 7.2 MB each.
    private static readonly string[] ItemIds = Enumerable.Range(0, 3000).Select(i => $"item{i}").ToArray();
    private const long ManagedBound = 2L << 20;
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void AStreamedContainerHasTheBytesOfOneWrittenFromABufferOnSeekableAndForwardOnlyStreams()
    {
        var container = new ChecksummedContainer("TESTFILE", "test file", 3);
        var payload = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 31 + i / 7)).ToArray();
        using var buffered = new MemoryStream();
        buffered.Write([9, 9, 9]); // a container need not start at the beginning of its stream
        container.Write(buffered, payload);

        using var streamed = new MemoryStream();
        streamed.Write([9, 9, 9]);
        container.Write(streamed, stream =>
        {
            for (var offset = 0; offset < payload.Length; offset += 70_001)
                stream.Write(payload.AsSpan(offset, Math.Min(70_001, payload.Length - offset)));
        });
        using var forwardOnly = new ForwardOnlyWriteStream();
        forwardOnly.Inner.Write([9, 9, 9]);
        container.Write(forwardOnly, stream => stream.Write(payload));

        streamed.ToArray().Should().Equal(buffered.ToArray());
        forwardOnly.Inner.ToArray().Should().Equal(buffered.ToArray());
        streamed.Position = 3;
        container.Read(streamed, "streamed").Payload.Should().Equal(payload);
    }

    [Fact]
    public void SavingARecVaeAllocatesNoCopyOfItsWeightsAndLoadsBack()
    {
        using var model = new RecVae(ItemIds, seed: 1);
        var path = temp.File("model.recvae");
        model.Save(path); // once first, so that what runs once per process is not counted

        var before = GC.GetAllocatedBytesForCurrentThread();
        model.Save(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        new FileInfo(path).Length.Should().BeGreaterThan(4 * model.ParameterCount);
        allocated.Should().BeLessThan(ManagedBound);
        using var loaded = RecVae.Load(path);
        foreach (var (name, weight) in model.NamedWeights)
            TensorAssert.Identical(loaded.NamedWeights[name], weight).Should().BeTrue(name);
    }

    [Fact]
    public void WritingARecVaeCheckpointAllocatesNoCopyOfTheWeightsOrTheOptimizerState()
    {
        using var model = new RecVae(ItemIds, seed: 1);
        using var trainer = new RecVaeTrainer().CreateTrainer(model);
        var path = temp.File("training.checkpoint");
        trainer.SaveCheckpoint(path);

        var before = GC.GetAllocatedBytesForCurrentThread();
        trainer.SaveCheckpoint(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Weights, the prior's copy and Adam's two moments.
        new FileInfo(path).Length.Should().BeGreaterThan(3 * 4 * model.ParameterCount);
        allocated.Should().BeLessThan(ManagedBound);
        using var other = new RecVae(ItemIds, seed: 2);
        using var resumed = new RecVaeTrainer().CreateTrainer(other);
        resumed.LoadCheckpoint(path);
        foreach (var (name, weight) in model.NamedWeights)
            TensorAssert.Identical(other.NamedWeights[name], weight).Should().BeTrue(name);
    }

    /// <summary>A stream that can only be written forward, like a pipe.</summary>
    private sealed class ForwardOnlyWriteStream : Stream
    {
        public MemoryStream Inner { get; } = new();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) Inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
