using static TorchSharp.torch;

namespace Vae.PackageTests;

/// <summary>Arrays in and out: training, encoding, reconstructing, decoding and sampling without touching a tensor.</summary>
public sealed class ArrayTests
{
    [Fact]
    public void RowsOfDoublesTrainEncodeReconstructDecodeAndSample()
    {
        var rows = TestData.BinaryRows(100, 10, seed: 4);
        manual_seed(2);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 10, HiddenSizes = [16], LatentSize = 2 });
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 3, BatchSize = 20, Seed = 1 }))
            trainer.Fit(rows).History.Should().HaveCount(3);

        double[][] codes = model.Encode(rows);
        codes.Should().HaveCount(100).And.OnlyContain(code => code.Length == 2 && code.All(double.IsFinite));
        double[][] reconstructions = model.Reconstruct(rows);
        reconstructions.Should().HaveCount(100).And.OnlyContain(row => row.Length == 10 && row.All(p => p >= 0 && p <= 1));
        // One row goes through the network alone, so it may round differently from the batch in the last float bits.
        model.EncodeRow(rows[7]).Should().Equal(codes[7], (one, batch) => Math.Abs(one - batch) < 1e-5);

        float[][] decoded = model.Decode(codes.Select(code => code.Select(v => (float)v).ToArray()).ToArray());
        decoded.Should().HaveCount(100).And.OnlyContain(row => row.Length == 10);
        float[][] samples = model.SampleRows(5, new TorchSharp.torch.Generator(3));
        samples.Should().HaveCount(5).And.OnlyContain(row => row.Length == 10 && row.All(p => p >= 0 && p <= 1));

        FluentActions.Invoking(() => model.Encode(new[] { new double[9] })).Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("9").And.Contain("10");
    }
}
