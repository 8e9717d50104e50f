using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core.Data;

/// <summary>
/// MNIST digits in memory: <see cref="Images"/> as float32 pixels in [0, 1] of shape <c>[N, 784]</c> and
/// <see cref="Labels"/> as int64 digits 0-9 of shape <c>[N]</c>.
/// </summary>
/// <remarks>
/// The dataset owns its two tensors: they belong to no dispose scope, so they outlive the scope they were loaded in,
/// and <see cref="Dispose"/> frees their native memory. After that every member throws <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class MnistDataset : IDisposable
{
    private readonly Tensor images;
    private readonly Tensor labels;
    private bool disposed;

    /// <summary>The side of an MNIST image in pixels.</summary>
    public const int ImageSide = 28;

    /// <summary>The number of pixels per image, the width of <see cref="Images"/>.</summary>
    public const int PixelCount = ImageSide * ImageSide;

    /// <summary>The number of digit classes.</summary>
    public const int ClassCount = 10;

    /// <summary>Wraps existing tensors; the dataset takes ownership of them.</summary>
    /// <param name="images">Float32 pixels in [0, 1], shape <c>[N, 784]</c>.</param>
    /// <param name="labels">Int64 digits 0-9, shape <c>[N]</c>.</param>
    /// <exception cref="ArgumentException">A tensor has the wrong shape or dtype, or the counts differ.</exception>
    public MnistDataset(Tensor images, Tensor labels)
    {
        Guard.Features(images, PixelCount, nameof(images));
        Guard.NotNull(labels, nameof(labels));
        if (images.dtype != ScalarType.Float32)
            throw new ArgumentException($"images must be float32, but has dtype {images.dtype}.", nameof(images));
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64)
            throw new ArgumentException(
                $"labels must be an int64 tensor of shape [N], but has dtype {labels.dtype} and shape {Guard.Shape(labels)}.",
                nameof(labels));
        if (labels.shape[0] != images.shape[0])
            throw new ArgumentException(
                $"images and labels must hold the same number of digits, but images has {images.shape[0]} and labels {labels.shape[0]}.",
                nameof(labels));
        this.images = images.DetachFromDisposeScope();
        this.labels = labels.DetachFromDisposeScope();
    }

    /// <summary>The pixels, float32 in [0, 1], shape <c>[N, 784]</c>, one row per digit.</summary>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public Tensor Images
    {
        get
        {
            ThrowIfDisposed();
            return images;
        }
    }

    /// <summary>The digits 0-9, int64, shape <c>[N]</c>.</summary>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public Tensor Labels
    {
        get
        {
            ThrowIfDisposed();
            return labels;
        }
    }

    /// <summary>The number of digits, N.</summary>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public long Count => Labels.shape[0];

    /// <summary>
    /// Loads one split from a folder holding the standard MNIST file names (<see cref="MnistFiles"/>), each either
    /// gzip-compressed (<c>.gz</c>) or raw. When both exist the raw file is read, since it needs no decompression.
    /// </summary>
    /// <param name="directory">The folder, e.g. the one <see cref="MnistDownloader"/> filled.</param>
    /// <param name="split">Which split to load.</param>
    /// <exception cref="FileNotFoundException">The folder or one of the split's two files is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt, truncated, not 28 x 28 images, or the counts differ.</exception>
    public static MnistDataset Load(string directory, MnistSplit split)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var (images, labels) = MnistFiles.For(split);
        var expected = $"{images}[.gz] and {labels}[.gz]";
        if (!Directory.Exists(directory))
            throw new FileNotFoundException(
                $"The MNIST folder '{directory}' does not exist; it should hold the {split} files {expected}. " +
                $"Fetch them with {nameof(MnistDownloader)}.{nameof(MnistDownloader.DownloadAsync)}(\"{directory}\"), or use the " +
                "10,000 digits shipped with the sources in samples/data/mnist-10k.", directory);
        return FromFiles(Find(directory, images, expected), Find(directory, labels, expected));
    }

    /// <summary>Loads a dataset from an image file and a label file of any name (gzip-compressed or raw).</summary>
    /// <param name="imagesPath">An IDX image file of 28 x 28 images.</param>
    /// <param name="labelsPath">An IDX label file with as many labels, each 0-9.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt, truncated, not 28 x 28 images, or the counts differ.</exception>
    public static MnistDataset FromFiles(string imagesPath, string labelsPath)
    {
        using var scope = NewDisposeScope();
        var (images, rows, columns) = IdxReader.ReadImagesWithSize(imagesPath);
        if (rows != ImageSide || columns != ImageSide)
            throw new InvalidDataException(
                $"The MNIST image file '{imagesPath}' holds {rows} x {columns} images, but MNIST images are {ImageSide} x {ImageSide}.");
        var labels = IdxReader.ReadLabels(labelsPath, ClassCount);
        if (labels.shape[0] != images.shape[0])
            throw new InvalidDataException(
                $"The MNIST files do not match: '{imagesPath}' holds {images.shape[0]} images but '{labelsPath}' holds {labels.shape[0]} labels.");
        return new MnistDataset(images, labels);
    }

    /// <summary>A new dataset with only the digits whose label is one of <paramref name="digits"/>, in their original order.</summary>
    /// <param name="digits">The labels to keep, each 0-9.</param>
    /// <exception cref="ArgumentException">No digit is given, or one is outside 0-9.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public MnistDataset WithDigits(params int[] digits)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Length == 0) throw new ArgumentException("Give at least one digit to keep.", nameof(digits));
        foreach (var digit in digits) CheckDigit(digit, nameof(digits));
        return Where(digits);
    }

    /// <summary>
    /// A new dataset with every digit except <paramref name="digit"/>, in the original order: the training set of an
    /// anomaly detector that should find the left-out digit unusual.
    /// </summary>
    /// <param name="digit">The label to leave out, 0-9.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="digit"/> is outside 0-9.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public MnistDataset WithoutDigit(int digit)
    {
        ThrowIfDisposed();
        CheckDigit(digit, nameof(digit));
        return Where(Enumerable.Range(0, ClassCount).Where(d => d != digit));
    }

    /// <summary>Frees the native memory of <see cref="Images"/> and <see cref="Labels"/>; a second call does nothing.</summary>
    public void Dispose()
    {
        disposed = true;
        images.Dispose();
        labels.Dispose();
    }

    private void ThrowIfDisposed()
    {
        // A tensor handed out by Images and disposed by its caller leaves the dataset as unusable as Dispose does.
        if (disposed || images.IsInvalid || labels.IsInvalid)
            throw new ObjectDisposedException(nameof(MnistDataset), "This MNIST dataset has been disposed: its images and labels are freed.");
    }

    private MnistDataset Where(IEnumerable<int> digits)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarScope();
        var keep = zeros_like(Labels, ScalarType.Bool);
        foreach (var digit in digits) keep = keep.logical_or(Labels.eq(s[(long)digit]));
        var indices = keep.nonzero().squeeze(1);
        return new MnistDataset(Images.index_select(0, indices), Labels.index_select(0, indices));
    }

    private static string Find(string directory, string name, string expected)
    {
        var raw = Path.Combine(directory, name);
        if (File.Exists(raw)) return raw;
        var gzip = raw + MnistFiles.GzipExtension;
        if (File.Exists(gzip)) return gzip;
        throw new FileNotFoundException(
            $"The MNIST folder '{directory}' has neither '{name}' nor '{name}{MnistFiles.GzipExtension}'; expected {expected}. " +
            "MnistDownloader.DownloadAsync fetches the full set.", gzip);
    }

    private static void CheckDigit(int digit, string name)
    {
        if (digit is < 0 or >= ClassCount)
            throw new ArgumentOutOfRangeException(name, digit, $"Digits must lie in 0-{ClassCount - 1}.");
    }
}
