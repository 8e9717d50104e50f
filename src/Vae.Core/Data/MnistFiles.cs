namespace Vae.Core.Data;

/// <summary>The standard file names of the MNIST download, shared by <see cref="MnistDataset"/> and <see cref="MnistDownloader"/>.</summary>
public static class MnistFiles
{
    /// <summary>Training images, without the <c>.gz</c> extension.</summary>
    public const string TrainImages = "train-images-idx3-ubyte";

    /// <summary>Training labels, without the <c>.gz</c> extension.</summary>
    public const string TrainLabels = "train-labels-idx1-ubyte";

    /// <summary>Test images, without the <c>.gz</c> extension.</summary>
    public const string TestImages = "t10k-images-idx3-ubyte";

    /// <summary>Test labels, without the <c>.gz</c> extension.</summary>
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The extension of the compressed files as distributed.</summary>
    public const string GzipExtension = ".gz";

    /// <summary>The image and label file names (without <c>.gz</c>) of a split.</summary>
    /// <param name="split">The split.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="split"/> is not a defined value.</exception>
    public static (string Images, string Labels) For(MnistSplit split) => split switch
    {
        MnistSplit.Train => (TrainImages, TrainLabels),
        MnistSplit.Test => (TestImages, TestLabels),
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown MNIST split."),
    };
}
