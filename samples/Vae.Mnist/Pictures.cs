using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples.Rendering;
using static TorchSharp.torch;

namespace Vae.Mnist;

/// <summary>The pictures a training run leaves in its output folder.</summary>
internal static class Pictures
{
    private const int Side = MnistDataset.ImageSide;

    public static IReadOnlyList<string> Write(VariationalAutoencoder model, MnistDataset test, IReadOnlyList<EpochSummary> history, string folder, int seed)
    {
        if (model.Options.ConditionClasses > 0) return ConditionalPictures.Write(model, test, history, folder, seed);
        using var scope = NewDisposeScope();
        var written = new List<string>();
        string PathOf(string name)
        {
            var path = Path.Combine(folder, name);
            written.Add(path);
            return path;
        }

        var inputs = test.Images.narrow(0, 0, 16);
        ImageGrid.SaveReconstructions(PathOf("reconstructions.png"), inputs, model.Reconstruct(inputs), Side, Side, columns: 8,
            caption: "Test digits and their reconstructions (decoded posterior means)");

        using var generator = new Generator((ulong)seed);
        ImageGrid.Save(PathOf("samples.png"), model.Sample(64, generator), Side, Side, columns: 8,
            new ImageGridOptions { Caption = "64 digits decoded from z ~ N(0, I)" });

        WriteWalks(model, test, PathOf("interpolation.png"));

        if (model.Options.LatentSize == 2)
        {
            using var grid = LatentManifold.GridTensor(20);
            ImageGrid.Save(PathOf("latent-manifold.png"), model.Decode(grid), Side, Side, columns: 20,
                new ImageGridOptions { Scale = 1, Gap = 0, Caption = "Decodings of a 20 x 20 grid of z at Gaussian quantiles" });
            LatentScatter.Save(PathOf("latent-scatter.png"), model.Encode(test.Images), test.Labels);
        }

        LossPlot.Save(PathOf("loss.png"), history.Select(h => h.Train.Loss).ToList(),
            history.All(h => h.Validation is not null) ? history.Select(h => h.Validation!.Loss).ToList() : null,
            title: $"Negative ELBO per epoch, {model.Options} model");
        return written;
    }

    /// <summary>Straight lines in latent space between pairs of test digits of different classes.</summary>
    private static void WriteWalks(VariationalAutoencoder model, MnistDataset test, string path)
    {
        const int steps = 10;
        var labels = test.Labels.data<long>().ToArray();
        var pairs = new List<(int From, int To)>();
        for (var i = 0; pairs.Count < 4 && i + 1 < labels.Length; i += 2)
            if (labels[i] != labels[i + 1]) pairs.Add((i, i + 1));

        var rows = pairs.Select(pair => LatentInterpolation.BetweenInputs(model, test.Images[pair.From].unsqueeze(0), test.Images[pair.To].unsqueeze(0), steps)).ToArray();
        ImageGrid.Save(path, cat(rows), Side, Side, columns: steps, new ImageGridOptions
        {
            Caption = "Walks through latent space between two test digits",
            RowTitles = pairs.Select(p => $"{labels[p.From]} → {labels[p.To]}").ToArray<string?>(),
        });
    }
}
