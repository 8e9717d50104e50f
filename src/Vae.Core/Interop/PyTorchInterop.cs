using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// Moves trained models between PyTorch and Vae.Core: <see cref="Import(string, PyTorchImportOptions?)"/> reads a
/// <c>state_dict</c> saved by <c>torch.save(model.state_dict(), path)</c> (<c>.pt</c>, <c>.pth</c>) or a
/// <c>.safetensors</c> file, and <see cref="Export"/> writes either, in any <see cref="PyTorchLayout"/>.
/// </summary>
/// <remarks>
/// <para>
/// Import recognises the layout from the keys and infers the MLP (input, hidden and latent sizes) from the tensor
/// shapes, so no options are needed; it is strict like PyTorch's <c>load_state_dict(strict=True)</c>: a file with
/// missing keys, unexpected keys or shapes that do not fit throws <see cref="StateDictMismatchException"/> listing all
/// of them. Float64, float16 and bfloat16 tensors are converted to float32 (float64 rounds to the nearest float32;
/// the others convert exactly); integer, boolean and complex tensors are refused. The model comes back in evaluation
/// mode on the CPU in float32.
/// </para>
/// <para>
/// Export writes the model's tensors under the layout's names, in the model's dtype, so that with the tutorial's classes
/// <c>VAE(784, 400, 20).load_state_dict(torch.load(path, weights_only=True), strict=True)</c> loads them unchanged. The
/// Tutorial and Examples layouts describe a one-hidden-layer MLP without learned variances; other models export in the
/// Vae layout. A Vae-layout <c>.safetensors</c> export also records the model's exact <see cref="VaeOptions"/> in the
/// header's <c>__metadata__</c> (key <c>vae.options</c>), so that every kind of model (conditional, convolutional,
/// VampPrior) imports back from it without options; a <c>.pt</c> file has no such place, so a conditional or
/// convolutional model imports from it only with <see cref="PyTorchImportOptions.Architecture"/>.
/// </para>
/// <para>
/// Import refuses files made to exhaust memory or to load wrong weights quietly: a <c>.pt</c> zip whose entries
/// declare or inflate to far more than the file's size, a safetensors header of more than 4,096 tensors or whose byte
/// ranges overlap, leave gaps or are followed by trailing bytes, and any NaN or infinite weight (named by tensor and
/// flat index).
/// </para>
/// </remarks>
public static class PyTorchInterop
{
    /// <summary>The file extensions <see cref="Import(string, PyTorchImportOptions?)"/> and <see cref="Export"/> understand.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".pt", ".pth", ".safetensors"];

    /// <summary>Reads a PyTorch state dict (<c>.pt</c>, <c>.pth</c> or <c>.safetensors</c>) into a new model.</summary>
    /// <param name="path">The file; its extension picks the format.</param>
    /// <param name="options">What the tensors cannot say (the likelihood, a convolutional architecture); null for the defaults.</param>
    /// <returns>A float32 model on the CPU, in evaluation mode.</returns>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ArgumentException">The extension is not one of <see cref="Extensions"/>.</exception>
    /// <exception cref="StateDictMismatchException">The keys or shapes fit none of the layouts (or not the one given).</exception>
    /// <exception cref="InvalidDataException">The file is damaged, not a state dict, or holds tensors of a non-floating dtype.</exception>
    public static VariationalAutoencoder Import(string path, PyTorchImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var reader = ReaderFor(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no PyTorch file '{path}'.", path);
        using var stream = File.OpenRead(path);
        var import = options ?? new PyTorchImportOptions();
        import.Validate();
        if (Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var (tensors, metadata) = SafetensorsFile.ReadWithMetadata(stream, path);
            // A Vae-layout file this library wrote records the model's exact options, which shapes alone cannot give
            // (a condition's kind, a convolutional model's image size, the likelihood).
            if (import.Architecture is null && import.Layout is null or PyTorchLayout.Vae
                && metadata.TryGetValue(SafetensorsFile.OptionsKey, out var json)
                && StateDictLayouts.Recognise(tensors.Keys) == PyTorchLayout.Vae)
            {
                try
                {
                    import = import with { Architecture = VaeModelFile.ParseOptions(json, path), Layout = PyTorchLayout.Vae };
                }
                catch
                {
                    foreach (var tensor in tensors.Values) tensor.Dispose();
                    throw;
                }
            }
            return FromStateDict(tensors, import, path);
        }
        return FromStateDict(reader(stream, path), import, path);
    }

    /// <summary>Writes the model's tensors as a PyTorch state dict; the extension of <paramref name="path"/> picks the format.</summary>
    /// <param name="model">The model to export; it is not changed.</param>
    /// <param name="path"><c>.pt</c> or <c>.pth</c> for <c>torch.load</c>, <c>.safetensors</c> for <c>safetensors.torch.load_file</c>. Written atomically: an earlier file stays whole if the export fails.</param>
    /// <param name="layout">The names to write the tensors under.</param>
    /// <exception cref="ArgumentException">The extension is not one of <see cref="Extensions"/>, or the layout cannot describe the model.</exception>
    /// <exception cref="ObjectDisposedException">The model is disposed.</exception>
    public static void Export(VariationalAutoencoder model, string path, PyTorchLayout layout = PyTorchLayout.Vae)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, $"Not a {nameof(PyTorchLayout)}.");
        if (!model.HasBuiltInDistributions)
            throw new ArgumentException(
                $"Cannot export the {model.Options} model to PyTorch: it {(model.Likelihood.BuiltIn is null ? model.Likelihood.PyTorchRefusal : null) ?? $"has the {model.Prior.Name} prior, which the PyTorch layouts do not describe"}.",
                nameof(model));
        var extension = Path.GetExtension(path).ToLowerInvariant();
        Action<Stream, IReadOnlyList<(string, Tensor)>> writer = extension switch
        {
            ".pt" or ".pth" => PickledStateDict.Write,
            ".safetensors" when layout == PyTorchLayout.Vae => (stream, tensors) =>
                SafetensorsFile.Write(stream, tensors, new Dictionary<string, string> { [SafetensorsFile.OptionsKey] = VaeModelFile.SerializeOptions(model.Options) }),
            ".safetensors" => SafetensorsFile.Write,
            _ => throw UnknownExtension(path),
        };
        var names = StateDictLayouts.VaeToLayout(model.Options, layout);
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var tensors = names.Select(pair => (pair.Value, state[pair.Key].detach().cpu().contiguous())).ToList();
        AtomicFile.Write(path, stream => writer(stream, tensors));
    }

    private static Func<Stream, string, Dictionary<string, Tensor>> ReaderFor(string path) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".pt" or ".pth" => PickledStateDict.Read,
            ".safetensors" => ReadSafetensors,
            _ => throw UnknownExtension(path),
        };

    /// <summary>Reads a safetensors file, naming the file in the two failures that would otherwise name nothing.</summary>
    private static Dictionary<string, Tensor> ReadSafetensors(Stream stream, string source) => SafetensorsFile.Read(stream, source);

    private static ArgumentException UnknownExtension(string path) =>
        new($"'{path}': the extension '{Path.GetExtension(path)}' is not a PyTorch format; use {string.Join(", ", Extensions)}.", nameof(path));

    /// <summary>Checks the tensors against the layout and builds the model; takes over and disposes <paramref name="tensors"/>.</summary>
    internal static VariationalAutoencoder FromStateDict(Dictionary<string, Tensor> tensors, PyTorchImportOptions import, string source)
    {
        try
        {
            var layout = import.Layout ?? StateDictLayouts.Recognise(tensors.Keys);
            var options = import.Architecture ?? StateDictLayouts.Infer(tensors, layout, import, source);
            if (options is null)
            {
                var expectedKeys = StateDictLayouts.DefaultKeys(layout).ToList();
                throw new StateDictMismatchException(source, layout, expectedKeys.Where(k => !tensors.ContainsKey(k)).ToList(),
                    tensors.Keys.Where(k => !expectedKeys.Contains(k)).Order(StringComparer.Ordinal).ToList(), []);
            }
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"'{source}': the shapes describe no valid model ({e.Message}).", e);
            }
            var names = LayoutNames(options, layout, source);
            var expected = ExpectedParameters.Of(options).ToDictionary(p => names[p.Name], p => p.Shape);
            var missing = expected.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
            var unexpected = tensors.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
            var mismatched = expected
                .Where(pair => tensors.TryGetValue(pair.Key, out var tensor) && !tensor.shape.SequenceEqual(pair.Value))
                .Select(pair => $"{pair.Key}: file [{string.Join(", ", tensors[pair.Key].shape)}], model [{string.Join(", ", pair.Value)}]")
                .ToList();
            if (missing.Count + unexpected.Count + mismatched.Count > 0)
                throw new StateDictMismatchException(source, layout, missing, unexpected, mismatched);
            foreach (var (key, tensor) in tensors) CheckFinite(tensor, key, source);

            var model = VaeModelFile.CreateWithoutTouchingTheGlobalGenerator(options);
            try
            {
                using var scope = NewDisposeScope();
                var state = names.ToDictionary(pair => pair.Key, pair => AsFloat32(tensors[pair.Value], pair.Value, source));
                using (no_grad()) model.load_state_dict(state, strict: true);
                model.eval();
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    private static Dictionary<string, string> LayoutNames(VaeOptions options, PyTorchLayout layout, string source)
    {
        try
        {
            return StateDictLayouts.VaeToLayout(options, layout);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{source}': {e.Message}", e);
        }
    }

    /// <summary>Refuses a weight that is NaN or infinite, naming the tensor and the first bad element's flat index.</summary>
    internal static void CheckFinite(Tensor tensor, string key, string source)
    {
        if (!tensor.is_floating_point()) return;
        using var scope = NewDisposeScope();
        var bad = tensor.isfinite().logical_not().flatten();
        if (!bad.any().item<bool>()) return;
        var index = bad.nonzero()[0, 0].item<long>();
        var value = tensor.flatten()[index].to_type(ScalarType.Float64).item<double>();
        throw new InvalidDataException(
            $"'{source}', tensor '{key}' [{string.Join(", ", tensor.shape)}]: the element at flat index {index} is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}; a model's weights must be finite.");
    }

    private static Tensor AsFloat32(Tensor tensor, string key, string source) => tensor.dtype switch
    {
        ScalarType.Float32 => tensor.alias(),
        ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16 => tensor.to_type(ScalarType.Float32),
        _ => throw new InvalidDataException($"'{source}', tensor '{key}': the dtype {tensor.dtype} is not a floating type; a model's weights are float32, float64, float16 or bfloat16."),
    };
}
