using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

public class FreeBitsTests
{
    private static double Kl(double mean, double logVar) => 0.5 * (mean * mean + Math.Exp(logVar) - 1 - logVar);

    // Two samples, three latent dimensions: dimension 0 carries 0.5 nats per sample on average, dimension 1 almost
    // nothing, dimension 2 a lot.
    private static readonly double[,] Means = { { 1, 0.1, 2 }, { -1, 0, -3 } };
    private static readonly double[,] LogVars = { { 0, 0, -1 }, { 0, 0.05, -2 } };

    private static double ExpectedFreeBitsKl(double freeBits) =>
        Enumerable.Range(0, 3).Sum(j => Math.Max(freeBits, (Kl(Means[0, j], LogVars[0, j]) + Kl(Means[1, j], LogVars[1, j])) / 2));

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(10.0)]
    public void EachDimensionsBatchMeanIsFlooredAtTheFreeBits(double freeBits)
    {
        using var scope = NewDisposeScope();
        var mean = tensor(Means).to_type(ScalarType.Float32);
        var logVar = tensor(LogVars).to_type(ScalarType.Float32);

        var perSample = ElboLoss.FreeBitsKl(mean, logVar, freeBits).item<float>();
        var total = ElboLoss.FreeBitsKl(mean, logVar, freeBits, Reduction.Sum).item<float>();

        ((double)perSample).Should().BeApproximately(ExpectedFreeBitsKl(freeBits), 1e-5);
        ((double)perSample).Should().BeGreaterThanOrEqualTo(3 * freeBits - 1e-5, "every one of the 3 dimensions counts at least the floor");
        ((double)total).Should().BeApproximately(2 * ExpectedFreeBitsKl(freeBits), 2e-5);
        // dimension 0 by hand: 0.5 * (1 + 1 - 1 - 0) = 0.5 for both samples
        Kl(1, 0).Should().Be(0.5);
    }

    [Fact]
    public void WithoutFreeBitsItIsThePlainKl()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var mean = randn(7, 4);
        var logVar = randn(7, 4);
        ElboLoss.FreeBitsKl(mean, logVar, 0).item<float>()
            .Should().BeApproximately(ElboLoss.KlDivergence(mean, logVar, Reduction.Mean).item<float>(), 1e-4f);
    }

    [Fact]
    public void TheLossUsesTheFlooredKlAndReportsTheTrueOne()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var mean = tensor(Means).to_type(ScalarType.Float32);
        var logVar = tensor(LogVars).to_type(ScalarType.Float32);
        var output = new VaeOutput(randn(2, 6), mean, logVar, randn(2, 3));
        var target = rand(2, 6);
        var reconstruction = ElboLoss.BinaryCrossEntropyWithLogits(output.DecoderOutput, target, Reduction.Mean).item<float>();
        var trueKl = ElboLoss.KlDivergence(mean, logVar, Reduction.Mean).item<float>();

        var terms = ElboLoss.NegativeElbo(output, target, beta: 0.5, freeBits: 1.0);

        terms.Kl.item<float>().Should().BeApproximately(trueKl, 1e-5f);
        ((double)terms.Loss.item<float>()).Should().BeApproximately(reconstruction + 0.5 * ExpectedFreeBitsKl(1.0), 1e-4);
        ExpectedFreeBitsKl(1.0).Should().BeGreaterThan(trueKl, "dimensions 0 and 1 are lifted to the floor");
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        using var scope = NewDisposeScope();
        var negative = () => ElboLoss.FreeBitsKl(zeros(2, 3), zeros(2, 3), -0.1);
        negative.Should().Throw<ArgumentException>().Where(e => e.ParamName == "freeBits");
        var perSample = () => ElboLoss.FreeBitsKl(zeros(2, 3), zeros(2, 3), 0.5, Reduction.None);
        perSample.Should().Throw<ArgumentException>().Where(e => e.ParamName == "reduction");
        var rank = () => ElboLoss.FreeBitsKl(zeros(2, 3, 4), zeros(2, 3, 4), 0.5);
        rank.Should().Throw<ArgumentException>().Where(e => e.ParamName == "mean" && e.Message.Contains("[2, 3, 4]"));

        using var model = SmallModel();
        var option = () => new VaeTrainer(model, new VaeTrainerOptions { FreeBits = double.NaN });
        option.Should().Throw<ArgumentException>().Where(e => e.ParamName == "FreeBits");
    }

    [Fact]
    public void TheTrainerTrainsOnTheFlooredKl()
    {
        using var scope = NewDisposeScope();
        var data = Binary(96, 64, seed: 12);
        const double freeBits = 2.0;
        using var model = SmallModel(); // 4 latent dimensions
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 2, BatchSize = 32, Seed = 4, FreeBits = freeBits });

        var history = trainer.Fit(data, data).History;

        // Loss = reconstruction + floored KL: the KL part of the training loss is at least 4 dimensions x 2 nats.
        foreach (var epoch in history)
        {
            (epoch.Train.Loss - epoch.Train.Reconstruction).Should().BeGreaterThanOrEqualTo(4 * freeBits - 1e-3);
            epoch.Validation!.Loss.Should().BeApproximately(epoch.Validation.Reconstruction + epoch.Validation.Kl, 1e-3, "validation reports the true ELBO");
        }
    }
}
