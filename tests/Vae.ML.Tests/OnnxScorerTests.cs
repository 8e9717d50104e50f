using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Vae.Core;
using static TorchSharp.torch;

namespace Vae.ML.Tests;

/// <summary>The ONNX anomaly scorer Vae.Core writes for Vae.ML, run in ONNX Runtime on a batch, against the library's score.</summary>
public sealed class OnnxScorerTests
{
    [Theory]
    [InlineData(VaeLikelihood.Gaussian, true)]
    [InlineData(VaeLikelihood.Gaussian, false)]
    [InlineData(VaeLikelihood.Bernoulli, false)]
    public void TheGraphScoresABatchAsTheLibraryDoes(VaeLikelihood likelihood, bool learnVariance)
    {
        manual_seed(3);
        using var model = new VariationalAutoencoder(new VaeOptions
        {
            InputSize = 6, HiddenSizes = [8, 5], LatentSize = 3, Likelihood = likelihood, LearnGaussianVariance = learnVariance, GaussianVariance = 0.7,
        });
        model.eval();
        if (learnVariance)
        {
            // Unequal variances, so that a graph ignoring them would score otherwise.
            var (_, logVariance) = model.named_parameters().Single(p => p.name == "decoder.logVariance");
            using (no_grad()) logVariance.copy_(linspace(-1, 1, 6).view(logVariance.shape));
        }
        using var rows = likelihood == VaeLikelihood.Bernoulli ? rand(16, 6) : randn(16, 6) * 2;
        var library = new AnomalyDetector(model, double.PositiveInfinity).Score(rows);
        const double threshold = 9.5;

        using var session = new InferenceSession(OnnxExport.AnomalyScorerModel(model, "x", "score", "flagged", threshold));
        var input = new DenseTensor<float>(rows.data<float>().ToArray(), [16, 6]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", input)]);
        var scores = results.Single(r => r.Name == "score").AsEnumerable<float>().ToArray();
        var flagged = results.Single(r => r.Name == "flagged").AsEnumerable<bool>().ToArray();

        scores.Should().HaveCount(16);
        for (var i = 0; i < 16; i++)
        {
            ((double)scores[i]).Should().BeApproximately(library[i], 1e-5 * Math.Max(1, Math.Abs(library[i])), $"row {i}");
            flagged[i].Should().Be(scores[i] > threshold, $"row {i}");
        }
    }

    [Fact]
    public void ModelsTheGraphCannotScoreAreRefused()
    {
        using var continuous = new VariationalAutoencoder(new VaeOptions { InputSize = 4, HiddenSizes = [4], LatentSize = 2, Likelihood = VaeLikelihood.ContinuousBernoulli });
        FluentActions.Invoking(() => OnnxExport.AnomalyScorerModel(continuous)).Should().Throw<ArgumentException>().WithMessage("*continuous Bernoulli*");
    }
}
