using TorchSharp;
using Vae.Core;
using Vae.Core.TimeSeries;
using static TorchSharp.torch;
using Reduction = TorchSharp.torch.nn.Reduction;

namespace Vae.TimeSeries.Tests;

/// <summary>Donut's M-ELBO (<see cref="MaskedElboTraining"/>) against its formula, and the detector trained with it.</summary>
public sealed class MaskedElboTests
{
    private const int Window = 12;

    private static VariationalAutoencoder Model()
    {
        torch.manual_seed(3);
        return new VariationalAutoencoder(new VaeOptions { InputSize = Window, HiddenSizes = [10], LatentSize = 3, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true });
    }

    // Rows of values then mask: every fourth point of the second row and the first three of the third are missing (0).
    private static (float[] Values, bool[] Observed) Batch(int rows)
    {
        var random = new Random(5);
        var values = new float[rows * Window];
        var observed = new bool[rows * Window];
        for (var i = 0; i < values.Length; i++)
        {
            var (row, column) = (i / Window, i % Window);
            observed[i] = row switch { 1 => column % 4 != 0, 2 => column >= 3, _ => true };
            values[i] = observed[i] ? (float)((random.NextDouble() * 2) - 1) : 0;
        }
        return (values, observed);
    }

    private static Tensor Rows(float[] values, bool[] observed, int rows)
    {
        var data = new float[rows * 2 * Window];
        for (var r = 0; r < rows; r++)
            MaskedElboTraining.WriteRow(values.AsSpan(r * Window, Window), observed.Skip(r * Window).Take(Window).Select(o => !o).ToArray(), data.AsSpan(r * 2 * Window, 2 * Window));
        return torch.tensor(data, [rows, 2 * Window]);
    }

    [Fact]
    public void TheLossIsTheMaskedReconstructionPlusTheShareWeightedKlMinusTheMissingShareOfTheEntropy()
    {
        const int count = 3;
        const double beta = 0.7;
        using var model = Model();
        model.eval();
        var (values, observed) = Batch(count);
        using var rows = Rows(values, observed, count);

        var (loss, reconstruction, kl) = MaskedElboTraining.NegativeMaskedElbo(model, rows, beta, new Generator(11));

        // The same forward pass (same noise), then the formula in doubles, element by element.
        using var output = model.Forward(torch.tensor(values, [count, Window]), new Generator(11));
        var means = output.DecoderOutput.data<float>().ToArray();
        var logVariances = output.ReconstructionLogVariance!.expand(count, Window).contiguous().data<float>().ToArray();
        var mu = output.Mean.data<float>().ToArray();
        var lv = output.LogVariance.data<float>().ToArray();
        double expectedReconstruction = 0, expectedKl = 0, expectedLatent = 0;
        for (var r = 0; r < count; r++)
        {
            var share = 0.0;
            for (var w = 0; w < Window; w++)
            {
                var i = (r * Window) + w;
                if (!observed[i]) continue;
                share += 1.0 / Window;
                var error = values[i] - means[i];
                expectedReconstruction += 0.5 * ((error * error * Math.Exp(-logVariances[i])) + logVariances[i] + Math.Log(2 * Math.PI));
            }
            double rowKl = 0, entropy = 0;
            for (var j = 0; j < 3; j++)
            {
                var (m, v) = ((double)mu[(r * 3) + j], (double)lv[(r * 3) + j]);
                rowKl += 0.5 * ((m * m) + Math.Exp(v) - 1 - v);
                entropy += 0.5 * (1 + Math.Log(2 * Math.PI) + v);
            }
            expectedKl += rowKl;
            expectedLatent += (share * rowKl) - ((1 - share) * entropy);
        }

        reconstruction.item<float>().Should().BeApproximately((float)expectedReconstruction, 1e-3f);
        kl.item<float>().Should().BeApproximately((float)expectedKl, 1e-4f);
        loss.item<float>().Should().BeApproximately((float)(expectedReconstruction + (beta * expectedLatent)), 1e-3f);
    }

    [Fact]
    public void WithEveryPointObservedItIsTheElbo()
    {
        const int count = 4;
        using var model = Model();
        model.eval();
        var random = new Random(8);
        var values = Enumerable.Range(0, count * Window).Select(_ => (float)random.NextDouble()).ToArray();
        using var rows = Rows(values, Enumerable.Repeat(true, values.Length).ToArray(), count);

        var (loss, _, _) = MaskedElboTraining.NegativeMaskedElbo(model, rows, 1.0, new Generator(2));
        using var x = torch.tensor(values, [count, Window]);
        var elbo = ElboLoss.NegativeElbo(model.Forward(x, new Generator(2)), x, 1.0, Reduction.Sum);

        loss.item<float>().Should().BeApproximately(elbo.Loss.item<float>(), 1e-3f);
    }

    [Fact]
    public void ADetectorTrainedWithItOnASeriesWithGapsScoresLaterPointsAndIsDeterministic()
    {
        var timestamps = SyntheticSeries.Timestamps(300);
        var rows = SyntheticSeries.Rows(300);
        for (var i = 10; i < 120; i += 7) rows[i] = [double.NaN];
        var options = new TimeSeriesDetectorOptions { WindowSize = 16, HiddenSizes = [16], LatentSize = 3, Epochs = 4, BatchSize = 32, CalibrationHistory = 100, LevelShiftWindow = 60, MaskedElbo = true };

        using var first = TimeSeriesDetector.Run(timestamps, rows, 150, options, out var scores);
        using var second = TimeSeriesDetector.Run(timestamps, rows, 150, options, out var again);
        using var plain = TimeSeriesDetector.Run(timestamps, rows, 150, options with { MaskedElbo = false }, out var unmasked);

        scores.Skip(150).Should().OnlyContain(s => double.IsFinite(s.RawScore) && s.Score >= 0 && s.Score <= 1);
        scores.Select(s => s.RawScore).Should().Equal(again.Select(s => s.RawScore));
        scores.Skip(150).Select(s => s.RawScore).Should().NotEqual(unmasked.Skip(150).Select(s => s.RawScore), "the fillers no longer count");
        first.Options.MaskedElbo.Should().BeTrue();
    }
}
