using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>A trained model serves several threads at once: encoding, sampling and scoring give what they give alone.</summary>
/// <remarks>Each thread draws from its own generator: one generator shared by threads would be a race of its own.</remarks>
[Collection(TrainedModelCollection.Name)]
public sealed class ConcurrentInferenceTests(TrainedModelFixture fixture)
{
    [Fact]
    public void EncodeSampleScoreAndEvaluateFromManyThreadsAgreeWithOneThread()
    {
        var model = fixture.Model;
        var input = fixture.Test;
        (float[] Codes, float[] Samples, float[] Scores, ElboMetrics Elbo) Work(int worker)
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator((ulong)(100 + worker));
            var codes = model.Encode(input).data<float>().ToArray();
            var samples = model.Sample(16, generator).data<float>().ToArray();
            var scores = model.NegativeElbo(input, reduction: nn.Reduction.None, generator: generator).Loss.data<float>().ToArray();
            var elbo = model.Evaluate(input, batchSize: 30, seed: worker);
            return (codes, samples, scores, elbo);
        }

        var alone = Enumerable.Range(0, 8).Select(Work).ToArray();
        var together = new (float[] Codes, float[] Samples, float[] Scores, ElboMetrics Elbo)[8];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (var repeat = 0; repeat < 5; repeat++) together[worker] = Work(worker);
        });

        for (var worker = 0; worker < 8; worker++)
        {
            together[worker].Codes.Should().Equal(alone[worker].Codes);
            together[worker].Samples.Should().Equal(alone[worker].Samples);
            together[worker].Scores.Should().Equal(alone[worker].Scores);
            together[worker].Elbo.Should().Be(alone[worker].Elbo);
        }
    }
}
