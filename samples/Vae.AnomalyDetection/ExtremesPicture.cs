using Vae.Core.Data;
using Vae.Samples.Rendering;
using static TorchSharp.torch;

namespace Vae.AnomalyDetection;

/// <summary>A picture of the test digits a score finds most and least unusual: what the AUROC cannot show.</summary>
internal static class ExtremesPicture
{
    public const int PerRow = 16;

    /// <param name="path">The PNG to write.</param>
    /// <param name="images">The scored test digits, <c>[N, 784]</c>.</param>
    /// <param name="scores">One score per test digit.</param>
    /// <param name="labels">One label per test digit.</param>
    /// <param name="digit">The held-out digit.</param>
    /// <param name="scoreName">What the score is, for the caption.</param>
    /// <param name="auroc">The AUROC of the score, for the caption.</param>
    public static void Write(string path, Tensor images, IReadOnlyList<double> scores, IReadOnlyList<long> labels, int digit, string scoreName, double auroc)
    {
        var byScore = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        var highest = byScore.Take(PerRow).ToArray();
        var lowest = byScore.Reverse().Take(PerRow).ToArray();
        int HeldOut(int[] rows) => rows.Count(i => labels[i] == digit);

        using var scope = NewDisposeScope();
        var tiles = images.index_select(0, tensor(highest.Concat(lowest).Select(i => (long)i).ToArray()));
        ImageGrid.Save(path, tiles, MnistDataset.ImageSide, MnistDataset.ImageSide, columns: PerRow, new ImageGridOptions
        {
            Caption = FormattableString.Invariant($"Held-out digit {digit}: test digits with the highest and lowest {scoreName} (AUROC {auroc:F3})"),
            RowTitles =
            [
                $"{highest.Length} highest scores, most anomalous first: {HeldOut(highest)} are {digit}s",
                $"{lowest.Length} lowest scores, most normal first: {HeldOut(lowest)} are {digit}s",
            ],
        });
    }
}
