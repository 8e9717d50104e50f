using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>Arrays in, arrays out: each array overload gives what the tensor call gives, and bad rows are named.</summary>
public sealed class VaeArraysTests
{
    private const int Width = 24;

    private static float[][] JaggedOf(Tensor table) =>
        Enumerable.Range(0, (int)table.shape[0]).Select(i => table[i].data<float>().ToArray()).ToArray();

    private static float[,] MatrixOf(float[][] rows)
    {
        var matrix = new float[rows.Length, rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
        for (var j = 0; j < rows[0].Length; j++)
            matrix[i, j] = rows[i][j];
        return matrix;
    }

    // A row alone and the same row in a batch may round differently in the matrix products.
    private static void Close(IEnumerable<double> actual, IEnumerable<double> expected) =>
        actual.Should().Equal(expected, (a, b) => Math.Abs(a - b) <= 1e-5 * Math.Max(1, Math.Abs(b)));

    private static double[][] Doubles(float[][] rows) => rows.Select(r => r.Select(v => (double)v).ToArray()).ToArray();

    private static VariationalAutoencoder Model()
    {
        manual_seed(2);
        var model = new VariationalAutoencoder(new VaeOptions { InputSize = Width, HiddenSizes = [16], LatentSize = 3 });
        model.eval();
        return model;
    }

    [Fact]
    public void EncodeAndReconstructGiveTheTensorResultsInEveryShapeOfArray()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var table = Binary(5, Width, seed: 1);
        var rows = JaggedOf(table);
        var expectedCodes = JaggedOf(model.Encode(table));
        var expectedReconstructions = JaggedOf(model.Reconstruct(table));

        model.Encode(rows).Should().BeEquivalentTo(expectedCodes, o => o.WithStrictOrdering());
        model.Reconstruct(rows).Should().BeEquivalentTo(expectedReconstructions, o => o.WithStrictOrdering());
        var codes = model.Encode(MatrixOf(rows));
        codes.GetLength(0).Should().Be(5);
        codes.GetLength(1).Should().Be(3);
        codes[4, 2].Should().Be(expectedCodes[4][2]);
        model.Reconstruct(MatrixOf(rows))[3, 7].Should().Be(expectedReconstructions[3][7]);
        Close(model.EncodeRow(rows[2]).Select(v => (double)v), expectedCodes[2].Select(v => (double)v));
        Close(model.ReconstructRow(rows[2]).Select(v => (double)v), expectedReconstructions[2].Select(v => (double)v));

        // Pixels in {0, 1} are exact in float, so double data gives the same codes, widened.
        model.Encode(Doubles(rows))[1].Should().Equal(expectedCodes[1].Select(v => (double)v));
        model.Encode(MatrixOf(rows).Cast<float>().Select(v => (double)v).Chunk(Width).ToArray())[0].Should().Equal(expectedCodes[0].Select(v => (double)v));
        Close(model.EncodeRow(Doubles(rows)[3]), expectedCodes[3].Select(v => (double)v));
        var doubleMatrix = new double[5, Width];
        for (var i = 0; i < 5; i++)
        for (var j = 0; j < Width; j++)
            doubleMatrix[i, j] = rows[i][j];
        model.Reconstruct(doubleMatrix)[4, 0].Should().Be(expectedReconstructions[4][0]);
    }

    [Fact]
    public void SampleRowsAndDecodeGiveArrays()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var samples = model.SampleRows(4, new Generator(3));
        samples.Should().HaveCount(4).And.OnlyContain(r => r.Length == Width);
        samples[1].Should().Equal(model.Sample(4, new Generator(3))[1].data<float>().ToArray());
        var codes = new[] { new float[] { 0, 0, 0 }, new float[] { 1, -1, 0.5f } };
        Close(model.Decode(codes)[1].Select(v => (double)v), model.Decode(tensor(new float[] { 1, -1, 0.5f }, [1, 3]))[0].data<float>().ToArray().Select(v => (double)v));
    }

    [Fact]
    public void RaggedRowsAndWrongWidthsAreNamed()
    {
        using var model = Model();
        var rows = Enumerable.Range(0, 4).Select(_ => new float[Width]).ToArray();
        rows[2] = new float[Width - 1];
        var ragged = () => model.Encode(rows);
        ragged.Should().Throw<ArgumentException>().WithMessage($"Row 2 of samples has {Width - 1} values, row 0 has {Width}, but the model takes {Width} per row (InputSize).*");

        var narrow = () => model.Encode(new[] { new double[5] });
        narrow.Should().Throw<ArgumentException>().WithMessage($"Row 0 of samples has 5 values, but the model takes {Width} per row*");
        var matrix = () => model.Reconstruct(new float[3, Width + 2]);
        matrix.Should().Throw<ArgumentException>().WithMessage($"samples has {Width + 2} columns (3 x {Width + 2}), but the model takes {Width} per row*");
        var missing = () => model.Encode(new float[][] { new float[Width], null! });
        missing.Should().Throw<ArgumentException>().WithMessage("Row 1 of samples is null*");
        var row = () => model.EncodeRow(new float[3]);
        row.Should().Throw<ArgumentException>().WithMessage($"sample has 3 values, but the model takes {Width}*");
    }

    [Fact]
    public void TheTrainerFitsArraysAsItFitsTheirTensor()
    {
        using var scope = NewDisposeScope();
        var table = Binary(96, Width, seed: 4);
        var rows = JaggedOf(table);
        var options = new VaeTrainerOptions { Epochs = 2, BatchSize = 32, Seed = 3 };

        using var fromTensor = Model();
        using (var trainer = new VaeTrainer(fromTensor, options)) trainer.Fit(table);
        foreach (var fit in new Func<VaeTrainer, TrainingResult>[]
        {
            trainer => trainer.Fit(rows, rows.Take(16).ToArray()),
            trainer => trainer.Fit(MatrixOf(rows)),
            trainer => trainer.Fit(Doubles(rows)),
        })
        {
            using var fromArrays = Model();
            using (var trainer = new VaeTrainer(fromArrays, options)) fit(trainer);
            SameWeights(fromArrays, Weights(fromTensor)).Should().BeTrue("the arrays hold the same values as the tensor");
        }

        using var model = Model();
        using var bad = new VaeTrainer(model, options);
        var outOfRange = () => bad.Fit(new[] { Enumerable.Repeat(2.0, Width).ToArray() });
        outOfRange.Should().Throw<ArgumentException>().WithMessage("*[0, 1]*");
    }

    [Fact]
    public void AnomalyScoresOfArraysAreThoseOfTheirTensor()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var table = Binary(8, Width, seed: 5);
        var rows = JaggedOf(table);
        var detector = AnomalyDetector.Fit(model, table, percentile: 50);
        var expected = detector.Score(table);

        detector.Score(rows).Should().Equal(expected);
        detector.Score(MatrixOf(rows)).Should().Equal(expected);
        detector.Score(Doubles(rows)).Should().Equal(expected);
        Close([detector.ScoreRow(rows[6]), detector.ScoreRow(Doubles(rows)[6])], [expected[6], expected[6]]);
        detector.Detect(rows).Select(r => r.IsAnomalous).Should().Equal(expected.Select(s => s > detector.Threshold));
        var result = detector.DetectRow(rows[0]);
        Close([result.Score], [expected[0]]);
        result.IsAnomalous.Should().Be(result.Score > detector.Threshold);
    }

    [Fact]
    public void HalfPrecisionArraysGiveTheFloatResultsRounded()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var rows = JaggedOf(Binary(4, Width, seed: 3));
        var expected = model.Encode(rows);
        // Pixels in {0, 1} are exact in Half; the codes come back rounded to Half.
        var halves = model.Encode(rows.Select(r => r.Select(v => (Half)v).ToArray()).ToArray());
        halves.Should().HaveCount(4);
        for (var i = 0; i < 4; i++)
            halves[i].Should().Equal(expected[i].Select(v => (Half)v));
    }
}
