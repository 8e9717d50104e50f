using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples.Rendering;
using static TorchSharp.torch;

namespace Vae.Mnist;

/// <summary>The pictures of a run conditioned on the digit: reconstructions, ten samples of every digit, the loss.</summary>
internal static class ConditionalPictures
{
    private const int Side = MnistDataset.ImageSide;

    public const string GridFileName = "conditional.png";

    public static IReadOnlyList<string> Write(VariationalAutoencoder model, MnistDataset test, IReadOnlyList<EpochSummary> history, string folder, int seed)
    {
        using var scope = NewDisposeScope();
        var reconstructions = Path.Combine(folder, "reconstructions.png");
        var rows = ModelRows.Of(model, test).narrow(0, 0, 16);
        ImageGrid.SaveReconstructions(reconstructions, test.Images.narrow(0, 0, 16), model.Reconstruct(rows), Side, Side, columns: 8,
            caption: "Test digits and their reconstructions given their labels");

        var grid = Path.Combine(folder, GridFileName);
        SaveDigitGrid(model, grid, samplesPerDigit: 10, seed);

        var loss = Path.Combine(folder, "loss.png");
        LossPlot.Save(loss, history.Select(h => h.Train.Loss).ToList(),
            history.All(h => h.Validation is not null) ? history.Select(h => h.Validation!.Loss).ToList() : null,
            title: $"Training loss per epoch, {model.Options} model");
        return [reconstructions, grid, loss];
    }

    /// <summary>One row per class, <paramref name="samplesPerDigit"/> samples of z ~ N(0, I) decoded given that class.</summary>
    public static void SaveDigitGrid(VariationalAutoencoder model, string path, int samplesPerDigit, int seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var classes = model.Options.ConditionClasses;
        var images = cat(Enumerable.Range(0, classes).Select(digit => model.Sample(samplesPerDigit, digit, generator)).ToArray());
        ImageGrid.Save(path, images, Side, Side, columns: samplesPerDigit, new ImageGridOptions
        {
            Caption = $"z ~ N(0, I) decoded given each digit, {samplesPerDigit} per row",
            RowTitles = Enumerable.Range(0, classes).Select(d => (string?)d.ToString()).ToArray(),
        });
    }
}
