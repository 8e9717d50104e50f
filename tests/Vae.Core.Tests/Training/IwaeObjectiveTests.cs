using TorchSharp;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

public class IwaeObjectiveTests
{
    [Fact]
    public void WithOneSampleTheIwaeObjectiveTrainsExactlyAsTheElbo()
    {
        using var scope = NewDisposeScope();
        var data = Binary(100, 12, seed: 3);
        var elbo = new VaeTrainerOptions { Epochs = 2, BatchSize = 32, UseFusedCpuKernels = false, Seed = 4 };
        var iwae = elbo with { Objective = VaeObjective.Iwae, ImportanceSamples = 1 };
        var options = new VaeOptions { InputSize = 12, HiddenSizes = [9], LatentSize = 3 };

        Dictionary<string, Tensor> Train(VaeTrainerOptions trainerOptions, out TrainingResult result)
        {
            manual_seed(8);
            using var model = new VariationalAutoencoder(options);
            using var trainer = new VaeTrainer(model, trainerOptions);
            result = trainer.Fit(data);
            return Weights(model);
        }

        var elboWeights = Train(elbo, out var elboResult);
        var iwaeWeights = Train(iwae, out var iwaeResult);
        iwaeResult.History.Select(h => h.Train.Loss).Should().Equal(elboResult.History.Select(h => h.Train.Loss));
        foreach (var (name, weight) in elboWeights)
            TensorAssert.Identical(weight, iwaeWeights[name]).Should().BeTrue(name);
    }

    // The loss against a forward pass written out in double precision, and every gradient against central differences
    // of that formula, on a model without hidden layers: mu = A x + a, log sigma^2 = B x + b, logits = C z + c.
    [Fact]
    public void TheBoundAndItsGradientsMatchADirectFormulaOnATinyModel()
    {
        using var scope = NewDisposeScope();
        const int Samples = 4, Rows = 3, Features = 3, Latent = 2;
        manual_seed(21);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = Features, HiddenSizes = [], LatentSize = Latent });
        model.to(ScalarType.Float64);
        var x = Binary(Rows, Features, seed: 6).to_type(ScalarType.Float64);
        const double Beta = 0.7;

        var terms = IwaeObjective.NegativeBound(model, x, Samples, Beta, new Generator(5));
        terms.Loss.backward();
        var epsilon = TensorAssert.ToDoubles(randn([Samples, Rows, Latent], dtype: ScalarType.Float64, generator: new Generator(5)));
        var xs = TensorAssert.ToDoubles(x);

        var parameters = model.named_parameters().ToArray();
        var values = parameters.Select(p => TensorAssert.ToDoubles(p.parameter)).ToArray();
        int Index(string name) => Array.FindIndex(parameters, p => p.name == name);
        var (a, aBias, b, bBias, c, cBias) = (Index("encoder.mean.weight"), Index("encoder.mean.bias"), Index("encoder.logVar.weight"),
            Index("encoder.logVar.bias"), Index("decoder.layers.fc1.weight"), Index("decoder.layers.fc1.bias"));

        double Loss(double[][] p)
        {
            var total = 0.0;
            for (var n = 0; n < Rows; n++)
            {
                var logWeights = new double[Samples];
                for (var i = 0; i < Samples; i++)
                {
                    var z = new double[Latent];
                    double logPrior = 0, logPosterior = 0;
                    for (var j = 0; j < Latent; j++)
                    {
                        double mu = p[aBias][j], logVar = p[bBias][j];
                        for (var d = 0; d < Features; d++)
                        {
                            mu += p[a][j * Features + d] * xs[n * Features + d];
                            logVar += p[b][j * Features + d] * xs[n * Features + d];
                        }
                        var e = epsilon[(i * Rows + n) * Latent + j];
                        z[j] = mu + Math.Exp(0.5 * logVar) * e;
                        logPrior += -0.5 * z[j] * z[j] - 0.5 * Math.Log(2 * Math.PI);
                        logPosterior += -0.5 * (z[j] - mu) * (z[j] - mu) / Math.Exp(logVar) - 0.5 * logVar - 0.5 * Math.Log(2 * Math.PI);
                    }
                    var logLikelihood = 0.0;
                    for (var d = 0; d < Features; d++)
                    {
                        var logit = p[cBias][d];
                        for (var j = 0; j < Latent; j++) logit += p[c][d * Latent + j] * z[j];
                        var t = xs[n * Features + d];
                        logLikelihood += t * logit - Math.Log(1 + Math.Exp(logit));
                    }
                    logWeights[i] = logLikelihood + Beta * (logPrior - logPosterior);
                }
                var max = logWeights.Max();
                total += max + Math.Log(logWeights.Sum(w => Math.Exp(w - max)) / Samples);
            }
            return -total;
        }

        terms.Loss.item<double>().Should().BeApproximately(Loss(values), 1e-10);
        foreach (var (name, parameter) in parameters)
        {
            var gradient = TensorAssert.ToDoubles(parameter.grad!);
            var index = Index(name);
            for (var k = 0; k < values[index].Length; k++)
            {
                const double Step = 1e-6;
                var saved = values[index][k];
                values[index][k] = saved + Step;
                var up = Loss(values);
                values[index][k] = saved - Step;
                var down = Loss(values);
                values[index][k] = saved;
                gradient[k].Should().BeApproximately((up - down) / (2 * Step), 1e-6, $"{name}[{k}]");
            }
        }
    }

    // Burda et al.'s theorem: the expected bound grows with k toward log p(x). On a trained model the growth is far larger
    // than the noise of the estimates.
    [Fact]
    public void OnATrainedModelTheBoundGrowsWithTheNumberOfSamples()
    {
        using var scope = NewDisposeScope();
        var data = Binary(400, 20, seed: 9);
        manual_seed(2);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 20, HiddenSizes = [16], LatentSize = 2 });
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 15, BatchSize = 50, Objective = VaeObjective.Iwae, ImportanceSamples = 5 }))
            trainer.Fit(data);

        var bounds = new[] { 1, 5, 50 }.Select(k => LikelihoodEstimator.Estimate(model, data, k, new Generator(3))).ToArray();
        for (var i = 1; i < bounds.Length; i++)
            bounds[i].MeanLogLikelihood.Should().BeGreaterThan(bounds[i - 1].MeanLogLikelihood + 3 * bounds[i - 1].StandardError / Math.Sqrt(data.shape[0]),
                $"k = {bounds[i].ImportanceSamples} against k = {bounds[i - 1].ImportanceSamples}");
    }

    [Fact]
    public void TheTrainingLossIsTheNegativeBoundAndTheFusedStepDeclinesIt()
    {
        using var scope = NewDisposeScope();
        var data = Binary(64, 12, seed: 3);
        manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 12, HiddenSizes = [9], LatentSize = 3 });
        using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 1, BatchSize = 64, Objective = VaeObjective.Iwae, ImportanceSamples = 8, Seed = 6 });
        trainer.UsesFusedCpuKernels.Should().BeFalse();
        var result = trainer.Fit(data);

        // The reported parts are the ELBO's (k-sample reconstruction, closed-form KL); the loss is the tighter bound.
        result.History[0].Train.Loss.Should().BeLessThan(result.History[0].Train.Reconstruction + result.History[0].Train.Kl + 1e-3,
            "the importance-weighted bound is at least the ELBO");
    }

    [Fact]
    public void FreeBitsAndAZeroSampleCountAreRefused()
    {
        var freeBits = () => new VaeTrainerOptions { Objective = VaeObjective.Iwae, FreeBits = 0.5 }.Validate();
        freeBits.Should().Throw<ArgumentException>().WithMessage("FreeBits must be 0 with the Iwae objective*0.5*");
        var none = () => new VaeTrainerOptions { ImportanceSamples = 0 }.Validate();
        none.Should().Throw<ArgumentException>().WithMessage("ImportanceSamples must be at least 1, but was 0.*");
    }
}
