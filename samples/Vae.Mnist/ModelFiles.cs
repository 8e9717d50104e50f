using Vae.Core;

namespace Vae.Mnist;

/// <summary>The model formats the sample reads and writes, told apart by extension.</summary>
internal static class ModelFiles
{
    public const string Native = ".vae";
    public const string Onnx = ".onnx";

    /// <summary>The extensions a model loads from: ours and PyTorch's.</summary>
    public static IReadOnlyList<string> Loadable { get; } = [Native, .. PyTorchInterop.Extensions];

    public static string Extension(string path) => Path.GetExtension(path).ToLowerInvariant();

    /// <summary>Loads a <c>.vae</c> file, or imports a PyTorch state dict (<c>.pt</c>, <c>.pth</c>, <c>.safetensors</c>).</summary>
    public static VariationalAutoencoder Load(string path, string option, PyTorchImportOptions? import = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{option}: there is no file '{path}'.", path);
        var extension = Extension(path);
        if (extension == Native) return VariationalAutoencoder.Load(path);
        if (PyTorchInterop.Extensions.Contains(extension)) return PyTorchInterop.Import(path, import);
        throw new ArgumentException($"{option}: '{path}' is not a model file this sample reads; the extension must be one of {string.Join(", ", Loadable)}.");
    }
}
