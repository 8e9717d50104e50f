using Vae.Core.Recommendation;
using Vae.Samples.Tests;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary><see cref="VaeRecommender.Load"/>: a model file of either kind, told apart by its identifier, and every other file refused by name.</summary>
public sealed class VaeRecommenderTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly ImplicitFeedbackData data =
        SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 200, ItemCount = 40, TopicCount = 5, Seed = 4 }).Split();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void EitherKindOfModelFileLoadsAsItsOwnModelWithTheSameScores()
    {
        VaeRecommender[] models =
        [
            new MultVae(data.ItemIds, new MultVaeOptions { HiddenSizes = [12], LatentSize = 4 }, seed: 1),
            new RecVae(data.ItemIds, new RecVaeOptions { HiddenSize = 12, LatentSize = 4 }, seed: 1),
        ];
        foreach (var model in models)
        {
            using (model)
            {
                var path = temp.File($"model-{model.GetType().Name}");
                model.Save(path);

                using var loaded = VaeRecommender.Load(path);

                loaded.Should().BeOfType(model.GetType());
                loaded.ItemIds.Should().Equal(model.ItemIds);
                using var scope = NewDisposeScope();
                TensorAssert.Identical(loaded.Score(data.Test.FoldIn, 0, 10), model.Score(data.Test.FoldIn, 0, 10)).Should().BeTrue(model.GetType().Name);
            }
        }
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { (byte)'R', (byte)'E', (byte)'C' })]
    [InlineData(new byte[] { (byte)'N', (byte)'O', (byte)'T', (byte)'A', (byte)'M', (byte)'O', (byte)'D', (byte)'L', 1, 0, 0, 0 })]
    public void AFileOfNeitherKindIsRefusedNamingIt(byte[] content)
    {
        var path = temp.File("other.bin");
        File.WriteAllBytes(path, content);

        var act = () => VaeRecommender.Load(path);

        act.Should().Throw<InvalidDataException>().WithMessage("*other.bin*neither a Mult-VAE model file nor a RecVAE model file*");
    }

    [Fact]
    public void AnImageModelFileIsRefusedNamingIt()
    {
        using var vae = new VariationalAutoencoder(new VaeOptions { InputSize = 6, HiddenSizes = [4], LatentSize = 2 });
        var path = temp.File("image.vae");
        vae.Save(path);

        var act = () => VaeRecommender.Load(path);

        act.Should().Throw<InvalidDataException>().WithMessage("*image.vae*neither*");
    }

    [Fact]
    public void ADamagedFileOfOneKindIsRefusedByThatKindsReader()
    {
        using var model = new RecVae(data.ItemIds, new RecVaeOptions { HiddenSize = 12, LatentSize = 4 }, seed: 1);
        var path = temp.File("damaged.recvae");
        model.Save(path);
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 1;
        File.WriteAllBytes(path, bytes);

        var act = () => VaeRecommender.Load(path);

        act.Should().Throw<InvalidDataException>().WithMessage("*damaged.recvae*");
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var act = () => VaeRecommender.Load(temp.File("absent.recvae"));

        act.Should().Throw<FileNotFoundException>().WithMessage("*absent.recvae*");
    }
}
