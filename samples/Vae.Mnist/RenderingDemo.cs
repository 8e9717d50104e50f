using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;
using Vae.Mnist.Rendering;
using static TorchSharp.torch;

namespace Vae.Mnist;

/// <summary>
/// Renders every kind of picture from real MNIST test digits and stand-ins for a model's output (blurred digits as
/// "reconstructions", blends as "decodings", a PCA projection as "latent codes"), to look at them without training.
/// Usage: Vae.Mnist [output folder] [mnist folder].
/// </summary>
internal static class RenderingDemo
{
    private const int Side = 28;
    private const int Pixels = Side * Side;

    public static void Run(string[] args)
    {
        var output = args.Length > 0 ? args[0] : Path.Combine("vae-output", "rendering-demo");
        var dataFolder = args.Length > 1 ? args[1] : FindDataFolder();
        var images = ReadImages(Path.Combine(dataFolder, "t10k-images-idx3-ubyte.gz"));
        var labels = ReadLabels(Path.Combine(dataFolder, "t10k-labels-idx1-ubyte.gz"));
        var count = labels.Length;
        Directory.CreateDirectory(output);
        using var scope = NewDisposeScope();
        var digits = tensor(images, [count, Pixels]);

        // Reconstructions: a 3x3 blur looks like what a VAE gives back.
        var inputs = digits[..10];
        var blurred = nn.functional.avg_pool2d(inputs.view(-1, 1, Side, Side), 3, stride: 1, padding: 1).view(-1, Pixels);
        ImageGrid.SaveReconstructions(Path.Combine(output, "reconstructions.png"), inputs, blurred, Side, Side, columns: 10,
            caption: "Test digits and their reconstructions");
        var sixteen = digits[10..26];
        ImageGrid.SaveReconstructions(Path.Combine(output, "reconstructions-2x8.png"), sixteen,
            nn.functional.avg_pool2d(sixteen.view(-1, 1, Side, Side), 3, stride: 1, padding: 1).view(-1, Pixels), Side, Side, columns: 8);

        // Samples from the prior: blurred blends of two random digits.
        var generator = new Generator(7);
        var first = randint(count, [64], generator: generator);
        var second = randint(count, [64], generator: generator);
        var samples = nn.functional.avg_pool2d(((digits[first] + digits[second]) / 2).view(-1, 1, Side, Side), 3, stride: 1, padding: 1);
        ImageGrid.Save(Path.Combine(output, "samples.png"), samples, Side, Side, columns: 8,
            new ImageGridOptions { Caption = "64 samples from the prior" });

        // Latent walks: straight blends between pairs of digits, one row per pair.
        int[][] pairs = [[0, 1], [2, 3], [4, 5]];
        var walk = new List<float>();
        var titles = new List<string?>();
        const int steps = 10;
        foreach (var pair in pairs)
        {
            for (var step = 0; step < steps; step++)
            {
                var t = step / (float)(steps - 1);
                for (var p = 0; p < Pixels; p++)
                    walk.Add((1 - t) * images[pair[0] * Pixels + p] + t * images[pair[1] * Pixels + p]);
            }
            titles.Add($"{labels[pair[0]]} → {labels[pair[1]]}");
        }
        ImageGrid.Save(Path.Combine(output, "walk.png"), walk.ToArray(), Side, Side, steps,
            new ImageGridOptions { Caption = "Latent walks between test digits", RowTitles = titles });

        // Manifold: four corner digits blended by where each grid point sits.
        var points = LatentManifold.GridPoints(20);
        int[] corners = [0, 1, 2, 3];
        var manifold = new float[400 * Pixels];
        for (var i = 0; i < 400; i++)
        {
            var u = 1 / (1 + Math.Exp(-1.5 * points[2 * i]));
            var v = 1 / (1 + Math.Exp(-1.5 * points[2 * i + 1]));
            double[] weights = [(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v];
            for (var p = 0; p < Pixels; p++)
            {
                double sum = 0;
                for (var k = 0; k < 4; k++) sum += weights[k] * images[corners[k] * Pixels + p];
                manifold[i * Pixels + p] = (float)sum;
            }
        }
        ImageGrid.Save(Path.Combine(output, "manifold.png"), manifold, Side, Side, 20,
            new ImageGridOptions { Scale = 1, Gap = 1, Caption = "Decodings of a 20 × 20 grid of the 2-D latent plane" });

        // Latent codes: the first two principal components of the test digits.
        var centred = digits - digits.mean([0], keepdim: true);
        var (_, _, vh) = linalg.svd(centred, fullMatrices: false);
        var projected = centred.matmul(vh[..2].t());
        projected = projected / projected.std();
        LatentScatter.Save(Path.Combine(output, "scatter.png"), projected, tensor(labels));
        LatentScatter.Save(Path.Combine(output, "scatter-small.png"), projected[..200], tensor(labels[..200]), title: "200 test digits");

        // Loss curves: one epoch, a typical run, and a long run with a diverged epoch.
        var trainingLoss = Enumerable.Range(1, 30).Select(e => 95 + 120 * Math.Exp(-e / 4.0) + 60 / (double)e).ToList();
        var testLoss = Enumerable.Range(1, 30).Select(e => 99 + 115 * Math.Exp(-e / 4.0) + 55 / (double)e + 0.08 * e).ToList();
        LossPlot.Save(Path.Combine(output, "loss.png"), trainingLoss, testLoss);
        LossPlot.Save(Path.Combine(output, "loss-1-epoch.png"), [187.4], [181.9]);
        var longRun = Enumerable.Range(1, 200).Select(e => e == 120 ? double.NaN : 90 + 150 * Math.Exp(-e / 15.0)).ToList();
        LossPlot.Save(Path.Combine(output, "loss-200-epochs.png"), longRun, title: "Training loss, 200 epochs");

        Console.WriteLine($"Wrote demo pictures to {Path.GetFullPath(output)}");
    }

    private static string FindDataFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "samples", "data", "mnist-10k");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("samples/data/mnist-10k not found above the program; pass the MNIST folder as the second argument.");
    }

    private static float[] ReadImages(string path)
    {
        var bytes = Gunzip(path);
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        return bytes.AsSpan(16, count * Pixels).ToArray().Select(b => b / 255f).ToArray();
    }

    private static long[] ReadLabels(string path)
    {
        var bytes = Gunzip(path);
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        return bytes.AsSpan(8, count).ToArray().Select(b => (long)b).ToArray();
    }

    private static byte[] Gunzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }
}
