using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests;

/// <summary>
/// Inference is deterministic whatever mode the model was left in (a model with dropout straight out of training mode),
/// leaves that mode alone, and takes float64 as the trainer does.
/// </summary>
public sealed class InferenceModeTests
{
    private const int Width = 12;

    private static VariationalAutoencoder DropoutModel()
    {
        manual_seed(5);
        var model = new VariationalAutoencoder(new VaeOptions
        {
            InputSize = Width, HiddenSizes = [16], LatentSize = 2, InputDropout = 0.3, HiddenDropout = 0.3,
        });
        model.train();
        return model;
    }

    private static Tensor Data(int rows = 40, int seed = 3)
    {
        using var generator = new Generator((ulong)seed);
        return rand([rows, Width], generator: generator);
    }

    [Fact]
    public void EncodeReconstructAndDecodeInTrainingModeGiveTheEvaluationModeResultTwice()
    {
        using var model = DropoutModel();
        using var data = Data();
        using var first = model.Encode(data);
        using var second = model.Encode(data);
        using var reconstructed = model.Reconstruct(data);
        using var decoded = model.Decode(first);
        model.training.Should().BeTrue("inference leaves the caller's mode alone");
        model.Encoder.training.Should().BeTrue();
        TensorAssert.Identical(first, second).Should().BeTrue();

        model.eval();
        using var evaluated = model.Encode(data);
        using var evaluatedReconstruction = model.Reconstruct(data);
        TensorAssert.Identical(first, evaluated).Should().BeTrue();
        TensorAssert.Identical(reconstructed, evaluatedReconstruction).Should().BeTrue();
        model.EncodeRow(data[0].data<float>().ToArray()).Should().Equal(model.EncodeRow(data[0].data<float>().ToArray()));
    }

    [Fact]
    public void ScoresThresholdsLikelihoodsAndEvaluationDoNotDependOnTheMode()
    {
        using var model = DropoutModel();
        using var data = Data();
        var trainingDetector = AnomalyDetector.Fit(model, data);
        var trainingScores = trainingDetector.Score(data);
        var again = trainingDetector.Score(data);
        using var g1 = new Generator(7);
        using var trainingLikelihood = LikelihoodEstimator.LogLikelihood(model, data, 5, g1);
        var trainingElbo = model.Evaluate(data);
        model.training.Should().BeTrue();

        model.eval();
        var evalDetector = AnomalyDetector.Fit(model, data);
        using var g2 = new Generator(7);
        using var evalLikelihood = LikelihoodEstimator.LogLikelihood(model, data, 5, g2);
        var evalElbo = model.Evaluate(data);

        again.Should().Equal(trainingScores);
        trainingDetector.Threshold.Should().Be(evalDetector.Threshold);
        evalDetector.Score(data).Should().Equal(trainingScores);
        TensorAssert.Identical(trainingLikelihood, evalLikelihood).Should().BeTrue();
        trainingElbo.Should().Be(evalElbo);
        model.training.Should().BeFalse("evaluation no longer changes the mode either way");
    }

    [Fact]
    public void ConcurrentInferenceOnAModelInTrainingModeIsDeterministic()
    {
        using var model = DropoutModel();
        using var data = Data();
        using var expected = model.Encode(data);
        var expectedValues = expected.data<float>().ToArray();
        var mismatches = 0;
        Parallel.For(0, 8, _ =>
        {
            using var scope = NewDisposeScope();
            for (var i = 0; i < 5; i++)
                if (!model.Encode(data).data<float>().ToArray().SequenceEqual(expectedValues)) Interlocked.Increment(ref mismatches);
        });
        mismatches.Should().Be(0);
        model.training.Should().BeTrue();
    }

    [Fact]
    public void FitLeavesTheModelInTheModeItFoundIt()
    {
        using var model = DropoutModel();
        using var data = Data();
        model.eval();
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 20 }))
            trainer.Fit(data);
        model.training.Should().BeFalse();
        model.Encoder.training.Should().BeFalse();

        model.train();
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 20 }))
            trainer.Fit(data);
        model.training.Should().BeTrue();
    }

    private sealed class DropoutEncoder : Module<Tensor, (Tensor Mean, Tensor LogVariance)>
    {
        private readonly Dropout dropout = Dropout(0.5);
        private readonly Linear mean = Linear(Width, 2);
        private readonly Linear logVariance = Linear(Width, 2);

        public DropoutEncoder() : base(nameof(DropoutEncoder)) => RegisterComponents();

        public override (Tensor Mean, Tensor LogVariance) forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var h = dropout.forward(input);
            return (mean.forward(h).MoveToOuterDisposeScope(), logVariance.forward(h).MoveToOuterDisposeScope());
        }
    }

    [Fact]
    public void ACustomModelWithDropoutIsEvaluatedInEvaluationModeAndGetsItsModesBack()
    {
        manual_seed(4);
        var encoder = new DropoutEncoder();
        using var model = new VariationalAutoencoder(encoder, Linear(2, Width), new VaeOptions { InputSize = Width, LatentSize = 2 });
        model.train();
        using var data = Data();
        using var first = model.Encode(data);
        using var second = model.Encode(data);
        TensorAssert.Identical(first, second).Should().BeTrue();
        model.training.Should().BeTrue();
        encoder.training.Should().BeTrue();
    }

    [Fact]
    public void Float64DataIsConvertedAndIntegerDataIsRefusedByName()
    {
        using var model = DropoutModel();
        model.eval();
        using var data = Data();
        using var doubles = data.to_type(ScalarType.Float64);
        var detector = AnomalyDetector.Fit(model, doubles);
        detector.Score(doubles).Should().Equal(detector.Score(data));
        using var codes = model.Encode(doubles);
        codes.dtype.Should().Be(ScalarType.Float32);
        using var decoded = model.Decode(codes.to_type(ScalarType.Float64));
        decoded.dtype.Should().Be(ScalarType.Float32);

        using var integers = data.to_type(ScalarType.Int64);
        var fit = () => AnomalyDetector.Fit(model, integers);
        fit.Should().Throw<ArgumentException>().WithMessage("*dtype Int64*");
        using var flags = data.gt(0.5);
        var encode = () => model.Encode(flags);
        encode.Should().Throw<ArgumentException>().WithMessage("*dtype Bool*");
    }

    [Fact]
    public void TheDetectorFitsFromEveryShapeOfArray()
    {
        using var model = DropoutModel();
        using var data = Data(rows: 10);
        var threshold = AnomalyDetector.Fit(model, data).Threshold;
        var floats = Enumerable.Range(0, 10).Select(i => data[i].data<float>().ToArray()).ToArray();
        var doubles = floats.Select(row => row.Select(v => (double)v).ToArray()).ToArray();
        var floatMatrix = new float[10, Width];
        var doubleMatrix = new double[10, Width];
        for (var i = 0; i < 10; i++)
        for (var j = 0; j < Width; j++)
            (floatMatrix[i, j], doubleMatrix[i, j]) = (floats[i][j], doubles[i][j]);

        AnomalyDetector.Fit(model, floats).Threshold.Should().Be(threshold);
        AnomalyDetector.Fit(model, doubles).Threshold.Should().Be(threshold);
        AnomalyDetector.Fit(model, floatMatrix).Threshold.Should().Be(threshold);
        AnomalyDetector.Fit(model, doubleMatrix).Threshold.Should().Be(threshold);
        var ragged = () => AnomalyDetector.Fit(model, new[] { floats[0], floats[1][..5] });
        ragged.Should().Throw<ArgumentException>().WithMessage("*1*");
    }
}
