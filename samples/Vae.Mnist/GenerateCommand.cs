using System.Buffers.Binary;
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

        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)settings.Seed);
        var images = settings.Digit is { } digit ? model.Sample(settings.Count, digit, generator) : model.Sample(settings.Count, generator);
        if (settings.Idx is { } idx)
        {
            WriteIdx(idx, images);
            AnsiConsole.MarkupLine($"IDX images: [blue]{Markup.Escape(idx)}[/]");
        }
        if (settings.Png is { } png)
        {
            var what = settings.Digit is { } d ? $"digit {d}" : "z ~ N(0, I)";
            ImageGrid.Save(png, images, Side, Side, columns: Math.Min(10, settings.Count),
                new ImageGridOptions { Caption = $"{settings.Count} samples, {what}, seed {settings.Seed}" });
            AnsiConsole.MarkupLine($"Picture: [blue]{Markup.Escape(png)}[/]");
        }
        return 0;
    }

    /// <summary>
    /// An IDX3 file of unsigned bytes (magic 0x00000803, then the count, 28 and 28 big-endian), each pixel the mean
    /// in [0, 1] times 255, rounded; written atomically.
    /// </summary>
    internal static void WriteIdx(string path, Tensor images)
    {
        var count = (int)images.shape[0];
        var bytes = images.detach().clamp(0, 1).mul(255).round().to_type(ScalarType.Byte).cpu().contiguous().data<byte>().ToArray();
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), Side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), Side);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            stream.Write(bytes);
        });
    }
}
