using Vae.Core.Data;

namespace Vae.Benchmarks;

internal static class ShippedDigits
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "data", "mnist-10k");

    public static MnistDataset Load(MnistSplit split) => MnistDataset.Load(Folder, split);
}
