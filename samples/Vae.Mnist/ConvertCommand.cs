using Spectre.Console.Cli;
using Vae.Core;

namespace Vae.Mnist;

/// <summary>Converts a model between Vae.Core's format, PyTorch's (.pt, .safetensors) and ONNX.</summary>
internal sealed class ConvertCommand : Command<ConvertSettings>
{
    public override int Execute(CommandContext context, ConvertSettings settings, CancellationToken cancellationToken)
    {
        var to = settings.To!;
        if (File.Exists(to) && !settings.Overwrite)
            throw new IOException($"--to: '{to}' exists; pass --overwrite to replace it.");
        using var model = ModelFiles.Load(settings.From!, "--from", new PyTorchImportOptions { Likelihood = settings.ParsedLikelihood });
        string written;
        switch (ModelFiles.Extension(to))
        {
            case ModelFiles.Native:
                model.Save(to);
                written = "Vae.Core model";
                break;
            case ModelFiles.Onnx when settings.Part.Equals("encoder", StringComparison.OrdinalIgnoreCase):
                OnnxExport.ExportEncoder(model, to);
                written = $"ONNX encoder (opset {OnnxExport.Opset}: {OnnxExport.EncoderInput} -> {OnnxExport.MeanOutput}, {OnnxExport.LogVarianceOutput})";
                break;
            case ModelFiles.Onnx when settings.Part.Equals("scorer", StringComparison.OrdinalIgnoreCase):
                OnnxExport.ExportAnomalyScorer(model, to);
                written = $"ONNX scorer (opset {OnnxExport.Opset}: {OnnxExport.EncoderInput} -> {OnnxExport.ScoreOutput}, the negative ELBO at the posterior mean per row)";
                break;
            case ModelFiles.Onnx:
                OnnxExport.ExportDecoder(model, to);
                var output = model.Options.Likelihood == VaeLikelihood.Bernoulli ? OnnxExport.ProbabilitiesOutput : OnnxExport.MeanOutput;
                written = $"ONNX decoder (opset {OnnxExport.Opset}: {OnnxExport.DecoderInput} -> {output})";
                break;
            default:
                PyTorchInterop.Export(model, to, settings.ParsedLayout);
                written = $"PyTorch state dict in the {settings.ParsedLayout} layout";
                break;
        }
        Console.WriteLine($"{model.Options} model from {settings.From} written to {to}: {written}.");
        return 0;
    }
}
