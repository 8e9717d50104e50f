using TorchSharp;
using Vae.Core.Kernels;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.Core.Tests.Likelihoods;

/// <summary>The built-in likelihood types: what the options map to, and that each is the density the loss functions compute.</summary>
public sealed class BuiltInLikelihoodTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("vae-likelihoods-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [InlineData(VaeLikelihood.Bernoulli, typeof(BernoulliLikelihood))]
    [InlineData(VaeLikelihood.Gaussian, typeof(GaussianLikelihood))]
    [InlineData(VaeLikelihood.ContinuousBernoulli, typeof(ContinuousBernoulliLikelihood))]
    public void EachOptionMapsToItsType(VaeLikelihood option, Type type)
    {
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 4, HiddenSizes = [3], LatentSize = 2, Likelihood = option });
        model.Likelihood.Should().BeOfType(type);
        model.Likelihood.Name.Should().Be(option.ToString());
        model.Likelihood.BuiltIn.Should().Be(option);
        model.HasBuiltInDistributions.Should().BeTrue();
    }

    [Fact]
    public void EachDensityIsTheOneTheLossFunctionsCompute()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(4);
        var logits = randn([5, 6], generator: generator);
        var target = rand([5, 6], generator: generator);
        var logVariance = randn([6], generator: generator);

        TensorAssert.Identical(
            BernoulliLikelihood.Instance.LogDensity(logits, null, target).neg(),
            ElboLoss.BinaryCrossEntropyWithLogits(logits, target, ElboReduction.None)).Should().BeTrue();
        TensorAssert.Identical(
            new GaussianLikelihood(1, learned: true).LogDensity(logits, logVariance, target).neg(),
            ElboLoss.GaussianNegativeLogLikelihood(logits, target, logVariance, ElboReduction.None)).Should().BeTrue();
        TensorAssert.Identical(
            ContinuousBernoulliLikelihood.Instance.LogDensity(logits, null, target).neg(),
            ContinuousBernoulli.NegativeLogLikelihood(logits, target, Reduction.None)).Should().BeTrue();

        TensorAssert.Identical(BernoulliLikelihood.Instance.Mean(logits), logits.sigmoid()).Should().BeTrue();
        ReferenceEquals(new GaussianLikelihood(1, learned: false).Mean(logits), logits).Should().BeTrue();
        TensorAssert.Identical(ContinuousBernoulliLikelihood.Instance.Mean(logits), ContinuousBernoulli.Mean(logits)).Should().BeTrue();
    }

    [Fact]
    public void TheGaussianParameterIsFixedOrLearned()
    {
        using var scope = NewDisposeScope();
        var fixedVariance = new GaussianLikelihood(0.25, learned: false);
        fixedVariance.LearnsParameter.Should().BeFalse();
        fixedVariance.CreateLearnedParameter(3).Should().BeNull();
        fixedVariance.FixedParameter(ScalarType.Float64, CPU)!.item<double>().Should().Be(Math.Log(0.25));
        var learned = new GaussianLikelihood(0.25, learned: true);
        learned.FixedParameter(ScalarType.Float32, CPU).Should().BeNull();
        TensorAssert.ToDoubles(learned.CreateLearnedParameter(3)!).Should().Equal(Enumerable.Repeat((double)(float)Math.Log(0.25), 3));
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 3, HiddenSizes = [3], LatentSize = 2, Likelihood = VaeLikelihood.Gaussian, LearnGaussianVariance = true });
        model.state_dict().Keys.Should().Contain("decoder.logVariance");
        learned.PyTorchRefusal.Should().NotBeNull();
        fixedVariance.PyTorchRefusal.Should().BeNull();
    }

    [Fact]
    public void EachChecksTheDataItCanModel()
    {
        using var scope = NewDisposeScope();
        var outside = tensor(new[] { 0.5f, 1.5f }).reshape(1, 2);
        var infinite = tensor(new[] { 0.5f, float.PositiveInfinity }).reshape(1, 2);
        FluentActions.Invoking(() => BernoulliLikelihood.Instance.CheckData(outside, "x")).Should().Throw<ArgumentException>().WithParameterName("x");
        FluentActions.Invoking(() => ContinuousBernoulliLikelihood.Instance.CheckData(outside, "x")).Should().Throw<ArgumentException>();
        new GaussianLikelihood(1, false).CheckData(outside, "x");
        FluentActions.Invoking(() => new GaussianLikelihood(1, false).CheckData(infinite, "x")).Should().Throw<ArgumentException>().WithParameterName("x");
    }

    /// <summary>A likelihood of the caller's own: not built in, so the fused kernels step aside and saving needs its name registered.</summary>
    private sealed class HalfBernoulli(string name) : DataLikelihood
    {
        public override string Name => name;

        public override Tensor NegativeLogDensity(Tensor output, Tensor? parameter, Tensor target) =>
            functional.binary_cross_entropy_with_logits(output, target, reduction: Reduction.None).mul(Scalars.Half);

        public override Tensor Mean(Tensor output) => output.sigmoid();

        public override void CheckData(Tensor data, string name) => Guard.UnitInterval(data, name);
    }

    [Fact]
    public void ALikelihoodOfYourOwnIsTrainedThroughAutogradAndItsNameIsNeededToLoad()
    {
        using var scope = NewDisposeScope();
        var name = $"CoreTests.HalfBernoulli.{Guid.NewGuid():N}";
        manual_seed(2);
        using var model = new VariationalAutoencoder(new VaeOptions { InputSize = 6, HiddenSizes = [4], LatentSize = 2 }, new HalfBernoulli(name));
        model.HasBuiltInDistributions.Should().BeFalse();
        FusedLikelihood.TryCreate(model).Should().BeNull();
        var data = SyntheticData.Binary(20, 6, seed: 3);
        using (var noGrad = no_grad())
        {
            var output = model.Forward(data, new Generator(1));
            var terms = ElboLoss.NegativeElbo(output, data, ElboReduction.None);
            TensorAssert.Identical(terms.Reconstruction, ElboLoss.BinaryCrossEntropyWithLogits(output.DecoderOutput, data, ElboReduction.None).mul(0.5)).Should().BeTrue();
        }
        model.Options.Validate();
        FluentActions.Invoking(() => OnnxExport.DecoderModel(model)).Should().Throw<ArgumentException>().WithMessage($"*{name}*");
        FluentActions.Invoking(() => PyTorchInterop.Export(model, Path.Combine(directory, "model.pt"))).Should().Throw<ArgumentException>().WithMessage($"*{name}*");

        VaeDistributions.RegisterLikelihood(name, _ => new HalfBernoulli(name));
        var path = Path.Combine(directory, "half.vae");
        model.Save(path);
        using (var loaded = VariationalAutoencoder.Load(path))
            loaded.Likelihood.Should().BeOfType<HalfBernoulli>();
        DistributionRegistry.Unregister(name);
        FluentActions.Invoking(() => VariationalAutoencoder.Load(path)).Should().Throw<InvalidOperationException>()
            .WithMessage($"*'{name}', which is not registered*{nameof(VaeDistributions.RegisterLikelihood)}*");
    }
}
