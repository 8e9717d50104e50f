using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>Small binary data sets with structure a VAE can learn: noisy copies of a few random prototypes.</summary>
internal static class SyntheticData
{
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
