using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vae.PackageTests;

/// <summary>An app's own encoder and decoder (a residual MLP with layer normalization), trained, saved and reloaded.</summary>
public sealed class CustomNetworkTests : IDisposable
{
    private const int Features = 16;
    private const int Hidden = 12;
    private const int Latent = 2;

    private readonly string directory = Directory.CreateTempSubdirectory("vae-package-custom-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private sealed class ResidualEncoder : Module<Tensor, (Tensor Mean, Tensor LogVariance)>
    {
        private readonly Linear input = Linear(Features, Hidden);
        private readonly LayerNorm norm = LayerNorm([Hidden]);
        private readonly Linear block = Linear(Hidden, Hidden);
        private readonly Linear mean = Linear(Hidden, Latent);
        private readonly Linear logVariance = Linear(Hidden, Latent);

        public ResidualEncoder() : base(nameof(ResidualEncoder)) => RegisterComponents();

        public override (Tensor Mean, Tensor LogVariance) forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var h = functional.relu(input.forward(x));
            h = h + functional.gelu(block.forward(norm.forward(h)));
            return (mean.forward(h).MoveToOuterDisposeScope(), logVariance.forward(h).MoveToOuterDisposeScope());
        }
    }

    private sealed class ResidualDecoder : Module<Tensor, Tensor>
    {
        private readonly Linear input = Linear(Latent, Hidden);
        private readonly LayerNorm norm = LayerNorm([Hidden]);
        private readonly Linear block = Linear(Hidden, Hidden);
        private readonly Linear output = Linear(Hidden, Features);

        public ResidualDecoder() : base(nameof(ResidualDecoder)) => RegisterComponents();

        public override Tensor forward(Tensor z)
        {
            using var scope = NewDisposeScope();
            var h = functional.relu(input.forward(z));
            h = h + functional.gelu(block.forward(norm.forward(h)));
            return output.forward(h).MoveToOuterDisposeScope();
        }
    }

    [Fact]
    public void ACustomModelTrainsAndItsWeightsReloadIntoNewModules()
    {
        using var scope = NewDisposeScope();
        var data = TestData.Binary(120, Features, seed: 1);
        var validation = TestData.Binary(40, Features, seed: 2);
        manual_seed(1);
        using var model = new VariationalAutoencoder(new ResidualEncoder(), new ResidualDecoder(), new VaeOptions { InputSize = Features, LatentSize = Latent });
        model.IsCustom.Should().BeTrue();

        TrainingResult result;
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 6, BatchSize = 16, LearningRate = 1e-2, Seed = 3 }))
            result = trainer.Fit(data, validation);
        result.Last.Validation!.Loss.Should().BeLessThan(result.History[0].Validation!.Loss, "the custom networks learn");

        var path = Path.Combine(directory, "custom.vae");
        model.Save(path);
        FluentActions.Invoking(() => VariationalAutoencoder.Load(path)).Should().Throw<InvalidOperationException>()
            .WithMessage($"*{nameof(VariationalAutoencoder.LoadWeights)}*");

        manual_seed(99);
        using var reloaded = new VariationalAutoencoder(new ResidualEncoder(), new ResidualDecoder(), VaeModelFile.ReadOptions(path));
        reloaded.LoadWeights(path);
        TestData.ShouldHaveTheSameWeights(reloaded, model);
        using var expected = model.Encode(validation);
        using var actual = reloaded.Encode(validation);
        actual.data<float>().ToArray().Should().Equal(expected.data<float>().ToArray());
    }
}
