using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// A training callback that writes TensorBoard event files with TorchSharp's <c>SummaryWriter</c>
/// (<c>torch.utils.tensorboard</c>): per epoch (the step axis), the scalars <c>loss/train</c>,
/// <c>reconstruction/train</c>, <c>kl/train</c> and, with validation data, <c>loss/validation</c>,
/// <c>reconstruction/validation</c>, <c>kl/validation</c> (nats per sample), <c>beta</c>, <c>learning_rate</c> and
/// <c>images_per_second</c>; and, if asked (<see cref="TensorBoardImages"/>), image grids of reconstructions and samples.
/// </summary>
/// <remarks>
/// Each callback writes one new event file in <see cref="LogDirectory"/>; a resumed run writes another, and TensorBoard
/// shows them as one run, the epochs continuing. View with <c>tensorboard --logdir DIR</c>. The images are made in the
/// model's evaluation mode with generators of the callback's own, so watching a run does not change it.
/// </remarks>
/// <example>
/// <code>
/// // Scalars, and grids of 32 validation digits reconstructed and of 64 samples (needs SkiaSharp's native assets).
/// using var tensorBoard = new TensorBoardCallback("runs/mnist", new TensorBoardImages());
/// using var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 10, Callbacks = [tensorBoard] });
/// trainer.Fit(train, test);
/// </code>
/// </example>
public sealed class TensorBoardCallback : ITrainingCallback, IDisposable
{
    private const int GridPadding = 2;

    private readonly SummaryWriter writer;
    private readonly TensorBoardImages? images;
    private Tensor? inputs;
    private Tensor? priorCodes;
    private bool inputsWritten;
    private bool disposed;

    /// <summary>Creates <paramref name="logDirectory"/> if need be and an event file in it.</summary>
    /// <param name="logDirectory">The folder TensorBoard reads (<c>tensorboard --logdir</c>).</param>
    /// <param name="images">The image grids to write; null (the default) writes scalars only and needs no SkiaSharp.</param>
    /// <exception cref="ArgumentException"><paramref name="logDirectory"/> is blank, or a setting of <paramref name="images"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException">Images are asked for, but SkiaSharp's native library, which TorchSharp encodes PNGs with, is missing.</exception>
    public TensorBoardCallback(string logDirectory, TensorBoardImages? images = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDirectory);
        if (images is not null)
        {
            CheckImages(images);
            CheckImageEncoder();
            this.images = images;
            inputs = images.Inputs?.detach().to(ScalarType.Float32, CPU, copy: true).DetachFromDisposeScope();
        }
        writer = torch.utils.tensorboard.SummaryWriter(logDirectory);
        LogDirectory = writer.LogDir;
    }

    /// <summary>The folder the event files are written to.</summary>
    public string LogDirectory { get; }

    /// <summary>Writes the epoch's scalars, and its image grids when they are due.</summary>
    /// <param name="context">The epoch just finished.</param>
    /// <exception cref="ArgumentException">The model's input size is not the images' Channels x Height x Width.</exception>
    /// <exception cref="ObjectDisposedException">The callback has been disposed.</exception>
    public void OnEpochEnd(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ObjectDisposedException.ThrowIf(disposed, this);
        var summary = context.Summary;
        var step = summary.Epoch;
        Scalar("loss/train", summary.Train.Loss, step);
        Scalar("reconstruction/train", summary.Train.Reconstruction, step);
        Scalar("kl/train", summary.Train.Kl, step);
        if (summary.Validation is { } validation)
        {
            Scalar("loss/validation", validation.Loss, step);
            Scalar("reconstruction/validation", validation.Reconstruction, step);
            Scalar("kl/validation", validation.Kl, step);
        }
        // A recommender's ranking figures (ndcg@100/validation), or any other model's.
        foreach (var (name, value) in summary.ValidationMetrics ?? new Dictionary<string, double>())
            Scalar($"{name}/validation", value, step);
        Scalar("beta", summary.Beta, step);
        Scalar("learning_rate", summary.LearningRate, step);
        Scalar("images_per_second", summary.ImagesPerSecond, step);
        if (images is not null && context.Model is { } model && step % images.EveryEpochs == 0) WriteImages(model, context.Validation, step);
    }

    /// <summary>Releases the copies of the inputs and the fixed codes; a second call does nothing.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        inputs?.Dispose();
        priorCodes?.Dispose();
    }

    private void Scalar(string tag, double value, int step) => writer.add_scalar(tag, (float)value, step);

    private void WriteImages(VariationalAutoencoder model, Tensor? validation, int step)
    {
        var settings = images!;
        var pixels = (long)settings.Channels * settings.Height * settings.Width;
        if (model.Options.InputSize != pixels)
            throw new ArgumentException(
                $"The model's InputSize is {model.Options.InputSize}, but the TensorBoard images are {settings.Channels}x{settings.Height}x{settings.Width} = {pixels} values.", nameof(model));
        using var scope = NewDisposeScope();
        // The same rows every epoch, kept from the first.
        if (inputs is null && settings.ValidationInputs > 0 && validation is not null)
            inputs = validation.narrow(0, 0, Math.Min(settings.ValidationInputs, validation.shape[0])).detach()
                .to(ScalarType.Float32, CPU, copy: true).DetachFromDisposeScope();
        var wasTraining = model.training;
        model.eval();
        try
        {
            if (inputs is not null)
            {
                if (!inputsWritten)
                {
                    Image("images/inputs", inputs, step);
                    inputsWritten = true;
                }
                using var modelInputs = inputs.to(model.Device).to_type(model.parameters().First().dtype);
                Image("images/reconstructions", model.Reconstruct(modelInputs), step);
            }
            if (settings.Samples > 0)
            {
                if (priorCodes is null)
                {
                    using var generator = new Generator((ulong)settings.Seed);
                    priorCodes = randn([settings.Samples, model.Options.LatentSize], generator: generator).DetachFromDisposeScope();
                }
                using var codes = priorCodes.to(model.Device).to_type(model.parameters().First().dtype);
                Image("images/samples", model.Decode(codes), step);
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    // A grid of the rows of flat images [N, C*H*W] as one [C, H', W'] image with values in [0, 1], written as a PNG made
    // here: TorchSharp's tensor path of add_img scales the image with scalars that nothing keeps alive (see
    // ScalarScope), its file path reads a PNG and nothing else.
    private void Image(string tag, Tensor flat, int step)
    {
        var (channels, height, width) = (images!.Channels, images.Height, images.Width);
        var count = (int)flat.shape[0];
        var columns = (int)Math.Ceiling(Math.Sqrt(count));
        var rows = (count + columns - 1) / columns;
        var (gridHeight, gridWidth) = (rows * (height + GridPadding) + GridPadding, columns * (width + GridPadding) + GridPadding);
        float[] values;
        using (var scope = NewDisposeScope())
        {
            var grid = zeros([channels, gridHeight, gridWidth]);
            var pictures = flat.detach().to(ScalarType.Float32).cpu().reshape(count, channels, height, width).clamp(Scalars.Zero, Scalars.One);
            for (var i = 0; i < count; i++)
            {
                var (row, column) = (i / columns, i % columns);
                grid.narrow(1, GridPadding + row * (height + GridPadding), height)
                    .narrow(2, GridPadding + column * (width + GridPadding), width)
                    .copy_(pictures[i]);
            }
            values = grid.data<float>().ToArray();
        }
        using var bitmap = new SkiaSharp.SKBitmap(gridWidth, gridHeight, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul);
        var plane = gridHeight * gridWidth;
        // As TorchSharp converts a float image: times 255, then truncated to a byte.
        byte Channel(int c, int pixel) => (byte)(values[c * plane + pixel] * 255f);
        for (var y = 0; y < gridHeight; y++)
        {
            for (var x = 0; x < gridWidth; x++)
            {
                var pixel = y * gridWidth + x;
                bitmap.SetPixel(x, y, channels == 1
                    ? new SkiaSharp.SKColor(Channel(0, pixel), Channel(0, pixel), Channel(0, pixel))
                    : new SkiaSharp.SKColor(Channel(0, pixel), Channel(1, pixel), Channel(2, pixel), channels == 4 ? Channel(3, pixel) : (byte)255));
            }
        }
        var path = Path.Combine(Path.GetTempPath(), $"vae-tensorboard-{Guid.NewGuid():N}.png");
        try
        {
            using (var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100))
            using (var file = File.Create(path))
                png.SaveTo(file);
            writer.add_img(tag, path, step);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void CheckImages(TensorBoardImages images)
    {
        static ArgumentException Bad(string name, object value, string rule) =>
            new($"TensorBoardImages.{name} {rule}, but was {value}.", "images");

        if (images.Channels is not (1 or 3 or 4)) throw Bad(nameof(images.Channels), images.Channels, "must be 1 (grey), 3 (RGB) or 4 (RGBA)");
        if (images.Height <= 0) throw Bad(nameof(images.Height), images.Height, "must be at least 1");
        if (images.Width <= 0) throw Bad(nameof(images.Width), images.Width, "must be at least 1");
        if (images.Samples < 0) throw Bad(nameof(images.Samples), images.Samples, "must not be negative");
        if (images.EveryEpochs <= 0) throw Bad(nameof(images.EveryEpochs), images.EveryEpochs, "must be at least 1");
        if (images.Inputs is { } inputs && (inputs.dim() != 2 || inputs.shape[0] == 0 || inputs.shape[1] != (long)images.Channels * images.Height * images.Width))
            throw Bad(nameof(images.Inputs), Guard.Shape(inputs), $"must be [N, {images.Channels * images.Height * images.Width}] with N > 0 (Channels x Height x Width values per row)");
        if (images.ValidationInputs < 0) throw Bad(nameof(images.ValidationInputs), images.ValidationInputs, "must not be negative");
        if (images.Inputs is null && images.ValidationInputs == 0 && images.Samples == 0)
            throw Bad(nameof(images.Samples), 0, "must be positive when there are neither Inputs nor ValidationInputs, or there is no image to write");
    }

    // TorchSharp encodes PNGs through SkiaSharp: fail here, with the remedy, rather than at the end of the first epoch.
    // The native library is looked for as SkiaSharp's own P/Invokes would look for it, without touching a SkiaSharp
    // type: a SkiaSharp object whose type initializer failed would crash the process later, from its finalizer.
    private static void CheckImageEncoder()
    {
        if (NativeLibrary.TryLoad("libSkiaSharp", typeof(SkiaSharp.SKObject).Assembly, searchPath: null, out _)) return;
        throw new InvalidOperationException(
            "TensorBoard image grids need SkiaSharp's native library (libSkiaSharp), which TorchSharp encodes PNG images with, and this app " +
            "has none. Add the package SkiaSharp.NativeAssets.Linux.NoDependencies (Linux), SkiaSharp.NativeAssets.Win32 (Windows) or " +
            "SkiaSharp.NativeAssets.macOS (macOS), version 2.88.x, to the app; or pass no TensorBoardImages to write the scalars alone.");
    }
}
