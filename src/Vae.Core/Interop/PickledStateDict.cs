using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Reads and writes the file <c>torch.save(model.state_dict(), path)</c> makes (a zip with a pickle and one entry per
/// tensor) through TorchSharp.PyBridge. PyBridge loads a state dict only into a module, so a module of no layers stands
/// in for one: it keeps the dictionary PyBridge hands to <c>load_state_dict</c>, and hands out the dictionary to save
/// from <c>state_dict</c>.
/// </summary>
internal static class PickledStateDict
{
    /// <summary>Reads every tensor of the file, in the dtype it was stored in, on the CPU.</summary>
    /// <exception cref="InvalidDataException">The file is not a zip-format <c>torch.save</c> file of a state dict.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        using var capture = new StateDictCapture();
        try
        {
            capture.load_py(stream, strict: true, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var tensor in capture.Captured?.Values ?? Enumerable.Empty<Tensor>()) tensor.Dispose();
            throw new InvalidDataException(
                $"'{source}' is not a PyTorch state dict saved with torch.save(model.state_dict(), path) in the zip format of PyTorch 1.6 and later ({e.GetType().Name}: {e.Message}).", e);
        }
        return capture.Captured ?? throw new InvalidDataException($"'{source}' holds no state dict.");
    }

    /// <summary>Writes the tensors as a state dict that <c>torch.load(path, weights_only=True)</c> reads.</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        using var capture = new StateDictCapture();
        capture.ToSave = tensors.ToDictionary(t => t.Name, t => t.Tensor);
        capture.save_py(stream, leaveOpen: true);
    }

    private sealed class StateDictCapture : nn.Module
    {
        public StateDictCapture() : base(nameof(StateDictCapture))
        {
        }

        public Dictionary<string, Tensor>? Captured { get; private set; }

        public Dictionary<string, Tensor>? ToSave { get; set; }

        public override (IList<string> missing_keys, IList<string> unexpected_keyes) load_state_dict(
            Dictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
        {
            Captured = source;
            return ([], []);
        }

        public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null) =>
            ToSave ?? [];
    }
}
