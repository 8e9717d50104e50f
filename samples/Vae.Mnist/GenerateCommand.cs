using System.Buffers.Binary;
using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples;
using Vae.Samples.Rendering;
using static TorchSharp.torch;

namespace Vae.Mnist;

/// <summary>Draws digits from a saved model: from the prior, or of a chosen digit for a model conditioned on labels.</summary>
internal sealed class GenerateCommand : Command<GenerateSettings>
{
    private const int Side = MnistDataset.ImageSide;

    public override int Execute(CommandContext context, GenerateSettings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Model)) throw new FileNotFoundException($"--model: there is no file '{settings.Model}'.", settings.Model);
        using var model = VariationalAutoencoder.Load(settings.Model!);
        if (model.Options.InputSize != MnistDataset.PixelCount)
            throw new InvalidOperationException($"--model: '{settings.Model}' is a {model.Options} model, not one of {Side} x {Side} digits.");
        var conditional = model.Options.ConditionClasses > 0;
        if (settings.Digit is not null && !conditional)
            throw new InvalidOperationException(
                $"--digit {settings.Digit}: '{settings.Model}' is an unconditional model ({model.Options}), which cannot be asked for a digit; leave --digit out to sample its prior, or train with --conditional.");
        if (settings.Digit is null && conditional)
            throw new InvalidOperationException($"'{settings.Model}' is conditioned on the digit ({model.Options}): give --digit 0-9.");
        if (settings.Digit is { } asked && asked >= model.Options.ConditionClasses && conditional)
            throw new InvalidOperationException($"--digit {asked}: the model knows {model.Options.ConditionClasses} classes, 0-{model.Options.ConditionClasses - 1}.");

        using var noGrad = no_grad();
        using var generator = new Generator((ulong)settings.Seed);
        Tensor Draw(int count) => settings.Digit is { } digit ? model.Sample(count, digit, generator) : model.Sample(count, generator);

        // The first batch is drawn first whatever is written, so the picture shows the IDX file's first images.
        using var first = Draw(Math.Min(settings.Count, BatchSize));
        if (settings.Idx is { } idx)
        {
            WriteIdx(idx, settings.Count, first, Draw, cancellationToken);
            if (!settings.Json) AnsiConsole.MarkupLine($"IDX images: [blue]{Markup.Escape(idx)}[/]");
        }
        if (settings.Png is { } png)
        {
            var what = settings.Digit is { } d ? $"digit {d}" : "z ~ N(0, I)";
            var shown = Math.Min(settings.Count, PictureLimit);
            using var pictured = first.narrow(0, 0, shown);
            var caption = shown == settings.Count
                ? $"{settings.Count} samples, {what}, seed {settings.Seed}"
                : $"The first {shown:N0} of {settings.Count:N0} samples, {what}, seed {settings.Seed}";
            ImageGrid.Save(png, pictured, Side, Side, columns: Math.Min(10, shown), new ImageGridOptions { Caption = caption });
            if (!settings.Json)
                AnsiConsole.MarkupLine($"Picture: [blue]{Markup.Escape(png)}[/]" + (shown < settings.Count ? $" (the first {shown:N0} of {settings.Count:N0} images)" : ""));
        }
        if (settings.Json)
        {
            Console.WriteLine(JsonLine.Serialize(new
            {
                count = settings.Count,
                batch_size = Math.Min(settings.Count, BatchSize),
                pictured = settings.Png is null ? 0 : Math.Min(settings.Count, PictureLimit),
                idx = settings.Idx,
                png = settings.Png,
                peak_working_set_mib = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
            }));
        }
        return 0;
    }

    /// <summary>
    /// Images drawn and written at a time: any --count runs in the memory of one batch (about 3 MB of pixels, and the
    /// decoder's activations for it). The first batch is the same draw as a one-shot <c>Sample(BatchSize)</c> with the seed.
    /// </summary>
    internal const int BatchSize = 1000;

    /// <summary>The most images a PNG grid shows; a larger --count pictures its first images only.</summary>
    internal const int PictureLimit = 1000;

    /// <summary>
    /// Streams <paramref name="count"/> images into an IDX3 file of unsigned bytes (magic 0x00000803, then the count,
    /// 28 and 28 big-endian; each pixel the mean in [0, 1] times 255, rounded), written atomically: <paramref name="first"/>, then batches from
    /// <paramref name="draw"/> until the count is reached.
    /// </summary>
    internal static void WriteIdx(string path, int count, Tensor first, Func<int, Tensor> draw, CancellationToken cancellationToken)
    {
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Header(count));
            stream.Write(Bytes(first));
            for (long written = first.shape[0]; written < count; )
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var batch = draw((int)Math.Min(BatchSize, count - written));
                stream.Write(Bytes(batch));
                written += batch.shape[0];
            }
        });
    }

    private static byte[] Header(int count)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), Side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), Side);
        return header;
    }

    private static byte[] Bytes(Tensor images)
    {
        using var scope = NewDisposeScope();
        // Scalars declared with `using`: TorchSharp frees one made on the fly only in its finalizer, which may run in
        // the middle of the libtorch call that reads it.
        using Scalar zero = 0, one = 1, full = 255;
        return images.detach().clamp(zero, one).mul(full).round().to_type(ScalarType.Byte).cpu().contiguous().data<byte>().ToArray();
    }
}
