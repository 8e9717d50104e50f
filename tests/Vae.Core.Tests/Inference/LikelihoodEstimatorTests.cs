using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests;

[Collection(TrainedModelCollection.Name)]
public sealed class LikelihoodEstimatorTests(TrainedModelFixture fixture, ITestOutputHelper output)
{
    private VariationalAutoencoder Model => fixture.Model;

    [Fact]
    public void WithOneSampleItIsTheSingleSampleElboOfTheSameDraw()
    {
        using var scope = NewDisposeScope();
        var x = fixture.Test.narrow(0, 0, 20);

        var estimate = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(Model, x, 1, new Generator(5)));

        // The ELBO of one forward pass with the same seed, with the KL term sampled rather than analytic.
        using var noGrad = no_grad();
        var pass = Model.Forward(x, new Generator(5));
        var reconstruction = TensorAssert.ToDoubles(ElboLoss.BinaryCrossEntropyWithLogits(pass.DecoderOutput, x, Reduction.None));
        var z = TensorAssert.ToDoubles(pass.Z);
        var mean = TensorAssert.ToDoubles(pass.Mean);
        var logVar = TensorAssert.ToDoubles(pass.LogVariance);
        var latent = Model.Options.LatentSize;
        for (var i = 0; i < 20; i++)
        {
            double logPz = 0, logQz = 0;
            for (var d = 0; d < latent; d++)
            {
                var k = i * latent + d;
                logPz += -0.5 * z[k] * z[k] - 0.5 * Math.Log(2 * Math.PI);
                logQz += -0.5 * (z[k] - mean[k]) * (z[k] - mean[k]) / Math.Exp(logVar[k]) - 0.5 * logVar[k] - 0.5 * Math.Log(2 * Math.PI);
            }
            var elbo = -reconstruction[i] + logPz - logQz;
            estimate[i].Should().BeApproximately(elbo, 1e-4 * Math.Max(1, Math.Abs(elbo)), $"row {i}");
        }
    }

    [Fact]
    public void EstimateRisesWithTheNumberOfSamplesAndStaysAboveTheElbo()
    {
        using var scope = NewDisposeScope();
        var data = fixture.Test;
        var elboDraws = Enumerable.Range(0, 20).Select(seed =>
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            return -Model.NegativeElbo(data, generator: new Generator((ulong)(1000 + seed))).Loss.item<float>();
        }).ToArray();
        var elbo = elboDraws.Average();

        var estimates = new[] { 1, 10, 100, 1000 }
            .Select(k => LikelihoodEstimator.Estimate(Model, data, k, new Generator(77)))
            .ToArray();
        output.WriteLine($"ELBO (analytic KL, mean of 20 draws): {elbo:F4} nats");
        foreach (var e in estimates)
            output.WriteLine($"IWAE k={e.ImportanceSamples,4}: {e.MeanLogLikelihood:F4} +- {e.StandardError:F4} nats");

        for (var i = 1; i < estimates.Length; i++)
            estimates[i].MeanLogLikelihood.Should().BeGreaterThan(estimates[i - 1].MeanLogLikelihood, $"k={estimates[i].ImportanceSamples}");
        foreach (var e in estimates.Skip(1))
            e.MeanLogLikelihood.Should().BeGreaterThan(elbo, $"k={e.ImportanceSamples} must lie above the ELBO");
        estimates[0].MeanLogLikelihood.Should().BeApproximately(elbo, 5 * estimates[0].StandardError,
            "with one sample the estimate is an unbiased estimate of the ELBO");
        estimates.Should().AllSatisfy(e => e.Count.Should().Be((int)data.shape[0]));
    }

    [Fact]
    public void EveryBlockOfSamplesCountsWhenThePosteriorEqualsThePriorAndTheDecoderIgnoresZ()
    {
        // All weights zero: q(z|x) = N(0, I) = p(z), so log p(z) - log q(z|x) = 0, and the decoder's logits are its
        // last bias whatever z is. Every log weight is then log p(x|z) = c, and the estimate is exactly c for any k,
        // however the samples are split into blocks; a block dropped or counted twice would shift it by a log ratio.
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 4, HiddenSizes = [3], LatentSize = 2 });
        var bias = new[] { -1.5f, 0.0f, 0.7f, 2.0f };
        using (no_grad())
        {
            foreach (var parameter in model.parameters()) parameter.zero_();
            model.state_dict()["decoder.layers.fc2.bias"].copy_(tensor(bias));
        }
        var x = tensor(new float[,] { { 1, 0, 1, 1 }, { 0, 0, 1, 0 }, { 1, 1, 0, 0 } });
        var rows = TensorAssert.ToDoubles(x);

        var reports = new List<int>();
        // 20 elements: one row per block and 5 samples per chunk, so 100 samples take 20 chunks per row.
        var estimate = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(
            model, x, 100, new Generator(2), new SynchronousProgress(reports), 20, CancellationToken.None));

        for (var r = 0; r < 3; r++)
        {
            double expected = 0;
            for (var d = 0; d < 4; d++)
            {
                var p = 1 / (1 + Math.Exp(-bias[d]));
                expected += rows[r * 4 + d] == 1 ? Math.Log(p) : Math.Log(1 - p);
            }
            estimate[r].Should().BeApproximately(expected, 1e-5, $"row {r}");
        }
        reports.Should().Equal(1, 2, 3);
    }

    [Fact]
    public void SmallBlocksGiveTheSameMeanEstimateWithinMonteCarloError()
    {
        using var scope = NewDisposeScope();
        var x = fixture.Test.narrow(0, 0, 30);
        var whole = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(Model, x, 500, new Generator(1)));
        // 1000 elements: one row at a time, 41 samples per chunk.
        var blocked = TensorAssert.ToDoubles(LikelihoodEstimator.LogLikelihood(
            Model, x, 500, new Generator(2), null, 1000, CancellationToken.None));
        blocked.Average().Should().BeApproximately(whole.Average(), 0.1);
    }

    [Fact]
    public void SameGeneratorSeedGivesTheSameEstimates()
    {
        using var scope = NewDisposeScope();
        var x = fixture.Test.narrow(0, 0, 10);
        var a = LikelihoodEstimator.LogLikelihood(Model, x, 50, new Generator(9));
        var b = LikelihoodEstimator.LogLikelihood(Model, x, 50, new Generator(9));
        var c = LikelihoodEstimator.LogLikelihood(Model, x, 50, new Generator(10));
        TensorAssert.Identical(a, b).Should().BeTrue();
        TensorAssert.Identical(a, c).Should().BeFalse();
        a.dtype.Should().Be(ScalarType.Float64);
        a.shape.Should().Equal(10);
    }

    [Fact]
    public void CancelledTokenStopsTheEstimate()
    {
        using var scope = NewDisposeScope();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var act = () => LikelihoodEstimator.Estimate(Model, fixture.Test, 10, cancellationToken: cancellation.Token);
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void BadArgumentsAreRejectedClearly()
    {
        using var scope = NewDisposeScope();
        var wrongWidth = zeros(3, SyntheticData.Features + 1);
        ((Action)(() => LikelihoodEstimator.LogLikelihood(Model, wrongWidth, 10)))
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be("input");
        ((Action)(() => LikelihoodEstimator.LogLikelihood(Model, fixture.Test, 0)))
            .Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("samples");
        ((Action)(() => LikelihoodEstimator.Estimate(Model, zeros(0, SyntheticData.Features), 10)))
            .Should().Throw<ArgumentException>().Which.Message.Should().Contain("[0, 24]");
        ((Action)(() => LikelihoodEstimator.LogLikelihood(Model, full(2, SyntheticData.Features, 2f), 10)))
            .Should().Throw<ArgumentException>().Which.Message.Should().Contain("[0, 1]");
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; the test needs the reports in order and complete.</summary>
    private sealed class SynchronousProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }
}
