using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>
/// Binary data with known structure: every sample is one of a few random prototype patterns with each bit flipped
/// with a small probability; anomalies are uniformly random bits, which no prototype explains.
/// </summary>
internal static class SyntheticData
{
    public const int Features = 24;
    public const int Prototypes = 4;
    public const double FlipProbability = 0.05;

    public static Tensor MakePrototypes(Generator generator) =>
        (rand([Prototypes, Features], generator: generator) < 0.5).to_type(ScalarType.Float32);

    /// <summary>Samples <paramref name="count"/> normal rows from the prototypes.</summary>
    public static Tensor Normal(Tensor prototypes, int count, Generator generator)
    {
        using var scope = NewDisposeScope();
        var which = randint(0, Prototypes, [count], generator: generator);
        var clean = prototypes.index_select(0, which);
        var flips = (rand([count, Features], generator: generator) < FlipProbability).to_type(ScalarType.Float32);
        return (clean - flips).abs().MoveToOuterDisposeScope();
    }

    /// <summary>Uniformly random bits.</summary>
    public static Tensor Anomalies(int count, Generator generator) =>
        (rand([count, Features], generator: generator) < 0.5).to_type(ScalarType.Float32);

    public static Tensor Binary(int samples, int features, int seed, int prototypes = 4, double flip = 0.1)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var centers = rand([prototypes, features], generator: generator).gt(0.5);
        var which = randint(0, prototypes, [samples], generator: generator);
        var flips = rand([samples, features], generator: generator).lt(flip);
        return centers.index_select(0, which).logical_xor(flips).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public static VariationalAutoencoder SmallModel(int seed = 1, int features = 64)
    {
        manual_seed(seed);
        return new VariationalAutoencoder(new VaeOptions { InputSize = features, HiddenSizes = [32], LatentSize = 4 });
    }

    /// <summary>A copy owned by the caller, even when taken inside the trainer's dispose scopes (in a progress callback).</summary>
    public static Dictionary<string, Tensor> Weights(nn.Module module) =>
        module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());

    public static bool SameWeights(nn.Module module, Dictionary<string, Tensor> weights) =>
        module.state_dict().All(p => p.Value.eq(weights[p.Key]).all().item<bool>());

    /// <summary>Reports on the training thread (System.Progress would post to the thread pool).</summary>
    public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

/// <summary>A small VAE trained once on <see cref="SyntheticData"/>, shared by the tests that need a model that has learned something.</summary>
public sealed class TrainedModelFixture : IDisposable
{
    public const int TrainingSteps = 400;

    public TrainedModelFixture()
    {
        var generator = new Generator(20240611);
        Prototypes = SyntheticData.MakePrototypes(generator);
        Train = SyntheticData.Normal(Prototypes, 512, generator);
        Validation = SyntheticData.Normal(Prototypes, 200, generator);
        Test = SyntheticData.Normal(Prototypes, 100, generator);
        Anomalies = SyntheticData.Anomalies(100, generator);

        torch.manual_seed(7);
        Model = new VariationalAutoencoder(new VaeOptions { InputSize = SyntheticData.Features, HiddenSizes = [32], LatentSize = 2 });
        var optimizer = torch.optim.Adam(Model.parameters(), lr: 1e-2);
        for (var step = 0; step < TrainingSteps; step++)
        {
            using var scope = NewDisposeScope();
            var batch = Train.index_select(0, randint(0, Train.shape[0], [64], generator: generator));
            optimizer.zero_grad();
            var terms = Model.NegativeElbo(batch, generator: generator);
            terms.Loss.backward();
            optimizer.step();
        }
        optimizer.Dispose();
    }

    public Tensor Prototypes { get; }
    public Tensor Train { get; }
    public Tensor Validation { get; }
    public Tensor Test { get; }
    public Tensor Anomalies { get; }
    public VariationalAutoencoder Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        foreach (var tensor in new[] { Prototypes, Train, Validation, Test, Anomalies }) tensor.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TrainedModelCollection : ICollectionFixture<TrainedModelFixture>
{
    public const string Name = "Trained model";
}
