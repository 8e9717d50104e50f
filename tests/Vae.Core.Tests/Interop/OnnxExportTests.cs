using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Interop;

public sealed class OnnxExportTests
{
    public static TheoryData<string> Architectures() => ["mlp", "mlp-deep", "mlp-gaussian", "conv", "conv-odd"];

    private static VaeOptions OptionsOf(string name) => name switch
    {
        "mlp" => new VaeOptions { InputSize = 12, HiddenSizes = [6], LatentSize = 3 },
        "mlp-deep" => new VaeOptions { InputSize = 12, HiddenSizes = [8, 6], LatentSize = 3 },
        "mlp-gaussian" => new VaeOptions { InputSize = 5, HiddenSizes = [], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true },
        "conv" => new VaeOptions { Architecture = VaeArchitecture.Convolutional, InputSize = 64, ImageHeight = 8, ImageWidth = 8, ConvChannels = [2, 3], HiddenSizes = [5], LatentSize = 2 },
        // 7 x 5 halves to 3 x 2, then 1 x 1: the transposed convolutions must keep an extra row or column on the way back.
        _ => new VaeOptions { Architecture = VaeArchitecture.Convolutional, InputSize = 70, ImageChannels = 2, ImageHeight = 7, ImageWidth = 5, ConvChannels = [3, 4], HiddenSizes = [], LatentSize = 3 },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void TheEncoderGraphRunsInONNXRuntimeAndGivesTorchSharpsOutputs(string architecture)
    {
        torch.manual_seed(11);
        using var model = new VariationalAutoencoder(OptionsOf(architecture));
        model.eval();
        using var scope = NewDisposeScope();
        using var session = new InferenceSession(OnnxExport.EncoderModel(model));

        foreach (var batch in new[] { 1, 4 })
        {
            var x = torch.rand(batch, model.Options.InputSize);
            var (mean, logVariance) = model.Encoder.forward(x);
            var outputs = Run(session, OnnxExport.EncoderInput, x);
            MaxDifference(outputs[OnnxExport.MeanOutput], mean).Should().BeLessThan(1e-5);
            MaxDifference(outputs[OnnxExport.LogVarianceOutput], logVariance).Should().BeLessThan(1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void TheDecoderGraphRunsInONNXRuntimeAndGivesTheMeanOfPXGivenZ(string architecture)
    {
        torch.manual_seed(12);
        using var model = new VariationalAutoencoder(OptionsOf(architecture));
        model.eval();
        using var scope = NewDisposeScope();
        using var session = new InferenceSession(OnnxExport.DecoderModel(model));
        var output = model.Options.Likelihood == VaeLikelihood.Bernoulli ? OnnxExport.ProbabilitiesOutput : OnnxExport.MeanOutput;

        foreach (var batch in new[] { 1, 5 })
        {
            var z = torch.randn(batch, model.Options.LatentSize);
            var outputs = Run(session, OnnxExport.DecoderInput, z);
            MaxDifference(outputs[output], model.Decode(z)).Should().BeLessThan(1e-5);
        }
    }

    public static TheoryData<string> ScoredArchitectures() => ["mlp", "mlp-deep", "mlp-gaussian", "mlp-gaussian-fixed", "conv", "conv-odd", "conv-gaussian"];

    private static VaeOptions ScoredOptionsOf(string name) => name switch
    {
        "mlp-gaussian-fixed" => new VaeOptions { InputSize = 7, HiddenSizes = [5], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, GaussianVariance = 0.6 },
        "conv-gaussian" => new VaeOptions
        {
            Architecture = VaeArchitecture.Convolutional, InputSize = 64, ImageHeight = 8, ImageWidth = 8, ConvChannels = [2, 3], HiddenSizes = [5], LatentSize = 2,
            Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true,
        },
        _ => OptionsOf(name),
    };

    [Theory]
    [MemberData(nameof(ScoredArchitectures))]
    public void TheAnomalyScorerGraphGivesTheDetectorsScoresInONNXRuntime(string architecture)
    {
        torch.manual_seed(13);
        using var model = new VariationalAutoencoder(ScoredOptionsOf(architecture));
        model.eval();
        using var scope = NewDisposeScope();
        if (model.named_parameters().FirstOrDefault(p => p.name == "decoder.logVariance").parameter is { } learned)
        {
            // Unequal variances, so that a graph ignoring them would score otherwise.
            using (no_grad()) learned.copy_(torch.linspace(-1, 1, learned.numel()).view(learned.shape));
        }
        using var session = new InferenceSession(OnnxExport.AnomalyScorerModel(model));
        var detector = new AnomalyDetector(model, double.PositiveInfinity);

        foreach (var batch in new[] { 1, 6 })
        {
            var x = model.Options.Likelihood == VaeLikelihood.Bernoulli ? torch.rand(batch, model.Options.InputSize) : torch.randn(batch, model.Options.InputSize) * 2;
            var library = detector.Score(x);
            var scores = Run(session, OnnxExport.EncoderInput, x)[OnnxExport.ScoreOutput];
            scores.Should().HaveCount(batch);
            for (var i = 0; i < batch; i++)
                ((double)scores[i]).Should().BeApproximately(library[i], 1e-5 * Math.Max(1, Math.Abs(library[i])), $"row {i} of {batch}");
        }
    }

    [Fact]
    public void ExportAnomalyScorerWritesAGraphFromXToOneScorePerRow()
    {
        using var folder = new TempFolder();
        using var model = new VariationalAutoencoder(OptionsOf("conv"));
        var path = folder.File("scorer.onnx");

        OnnxExport.ExportAnomalyScorer(model, path);

        File.ReadAllBytes(path).Should().Equal(OnnxExport.AnomalyScorerModel(model));
        using var session = new InferenceSession(path);
        session.InputMetadata[OnnxExport.EncoderInput].Dimensions.Should().Equal(-1, 64);
        session.OutputMetadata[OnnxExport.ScoreOutput].Dimensions.Should().Equal(-1);
    }

    [Theory]
    [InlineData("continuous", "*continuous Bernoulli*")]
    [InlineData("conditional", "*conditional*")]
    [InlineData("vamp", "*learned prior*")]
    public void ModelsTheScorerGraphCannotScoreAreRefusedWithTheReason(string kind, string message)
    {
        var options = kind switch
        {
            "continuous" => new VaeOptions { InputSize = 4, HiddenSizes = [4], LatentSize = 2, Likelihood = VaeLikelihood.ContinuousBernoulli },
            "conditional" => new VaeOptions { InputSize = 4, HiddenSizes = [4], LatentSize = 2, ConditionClasses = 3 },
            _ => new VaeOptions { InputSize = 4, HiddenSizes = [4], LatentSize = 2, Prior = VaePrior.Vamp, PseudoInputs = 3 },
        };
        using var model = new VariationalAutoencoder(options);
        using var folder = new TempFolder();

        FluentActions.Invoking(() => OnnxExport.ExportAnomalyScorer(model, folder.File("scorer.onnx"))).Should().Throw<ArgumentException>().WithMessage(message);
        File.Exists(folder.File("scorer.onnx")).Should().BeFalse();
    }

    [Fact]
    public void TheGraphsDeclareOpset17AndASymbolicBatchDimension()
    {
        using var model = new VariationalAutoencoder(OptionsOf("mlp"));
        using var session = new InferenceSession(OnnxExport.DecoderModel(model));

        session.InputMetadata[OnnxExport.DecoderInput].Dimensions.Should().Equal(-1, 3);
        session.InputMetadata[OnnxExport.DecoderInput].SymbolicDimensions[0].Should().Be("batch");
        session.OutputMetadata[OnnxExport.ProbabilitiesOutput].Dimensions.Should().Equal(-1, 12);
        session.ModelMetadata.ProducerName.Should().Be("Vae.Core");
        OnnxExport.Opset.Should().Be(17);
    }

    [Fact]
    public void ExportDecoderWritesTheFileONNXRuntimeLoads()
    {
        using var folder = new TempFolder();
        using var model = new VariationalAutoencoder(OptionsOf("mlp"));
        var path = folder.File("decoder.onnx");

        OnnxExport.ExportDecoder(model, path);
        OnnxExport.ExportEncoder(model, folder.File("encoder.onnx"));

        File.ReadAllBytes(path).Should().Equal(OnnxExport.DecoderModel(model));
        using var session = new InferenceSession(folder.File("encoder.onnx"));
        session.OutputMetadata.Keys.Should().BeEquivalentTo([OnnxExport.MeanOutput, OnnxExport.LogVarianceOutput]);
    }

    private static Dictionary<string, float[]> Run(InferenceSession session, string inputName, Tensor input)
    {
        var values = input.contiguous().data<float>().ToArray();
        var onnxInput = new DenseTensor(values, [(int)input.shape[0], (int)input.shape[1]]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, onnxInput)]);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    private static double MaxDifference(float[] actual, Tensor expected)
    {
        var reference = expected.contiguous().data<float>().ToArray();
        actual.Should().HaveCount(reference.Length);
        return actual.Zip(reference, (a, b) => Math.Abs((double)a - b)).Max();
    }
}
