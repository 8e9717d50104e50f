using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The names of the three <see cref="PyTorchLayout"/>s, their mapping onto Vae.Core's state dict, and the MLP each
/// describes, inferred from tensor shapes.
/// </summary>
internal static class StateDictLayouts
{
    // Layer by layer, the same five Linear modules of a one-hidden-layer MLP in each layout.
    private static readonly string[] VaeLayers = ["encoder.hidden.fc1", "encoder.mean", "encoder.logVar", "decoder.layers.fc1", "decoder.layers.fc2"];
    private static readonly string[] TutorialLayers = ["encoder.fc1", "encoder.fc2_mean", "encoder.fc2_logvar", "decoder.fc1", "decoder.fc2"];
    private static readonly string[] ExamplesLayers = ["fc1", "fc21", "fc22", "fc3", "fc4"];
    private static readonly string[] VaePrefixes = ["encoder.hidden.", "encoder.mean.", "encoder.logVar.", "encoder.convolutions.", "decoder.layers.", "decoder.deconvolutions.", "decoder.logVariance", "prior."];

    /// <summary>For each of the model's state-dict names (Vae layout), its name in <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException">The layout cannot describe the model (more than one hidden layer, convolutions, learned variances).</exception>
    public static Dictionary<string, string> VaeToLayout(VaeOptions options, PyTorchLayout layout)
    {
        var names = ExpectedParameters.Of(options).Select(p => p.Name).ToList();
        if (layout == PyTorchLayout.Vae) return names.ToDictionary(n => n, n => n);
        if (options.ConditionWidth > 0 || DistributionRegistry.PriorParameters(options).Any() || options.LayerNormalization)
            throw new ArgumentException(
                $"The {layout} layout describes an unconditional MLP with the standard normal prior and no layer norm; the model {options} has no names in it. Use the {nameof(PyTorchLayout.Vae)} layout.",
                nameof(layout));
        if (options.Architecture != VaeArchitecture.Mlp || options.HiddenSizes.Count != 1 || DistributionRegistry.Likelihood(options).LearnsParameter)
            throw new ArgumentException(
                $"The {layout} layout describes an MLP with exactly one hidden layer and no learned variances; the model {options} has no names in it. Use the {nameof(PyTorchLayout.Vae)} layout.",
                nameof(layout));
        var target = layout == PyTorchLayout.Tutorial ? TutorialLayers : ExamplesLayers;
        var map = new Dictionary<string, string>();
        foreach (var name in names)
        {
            var dot = name.LastIndexOf('.');
            var layer = Array.IndexOf(VaeLayers, name[..dot]);
            map.Add(name, target[layer] + name[dot..]);
        }
        return map;
    }

    /// <summary>The layout whose names the keys resemble most; Vae, then Tutorial, then Examples on a tie.</summary>
    public static PyTorchLayout Recognise(IReadOnlyCollection<string> keys)
    {
        var vae = keys.Count(k => VaePrefixes.Any(k.StartsWith));
        var tutorial = keys.Count(k => TutorialLayers.Any(layer => k == layer + ".weight" || k == layer + ".bias"));
        var examples = keys.Count(k => ExamplesLayers.Any(layer => k == layer + ".weight" || k == layer + ".bias"));
        if (vae >= tutorial && vae >= examples) return PyTorchLayout.Vae;
        return tutorial >= examples ? PyTorchLayout.Tutorial : PyTorchLayout.Examples;
    }

    /// <summary>
    /// The MLP the tensors describe in <paramref name="layout"/>, from the shapes of the first layer and a head; null
    /// when those tensors are missing or not matrices (the caller then reports the keys).
    /// </summary>
    /// <exception cref="InvalidDataException">A Vae-layout file of a convolutional model, whose image size no shape records.</exception>
    public static VaeOptions? Infer(IReadOnlyDictionary<string, Tensor> tensors, PyTorchLayout layout, PyTorchImportOptions import, string source)
    {
        string first, meanHead, logVarianceHead;
        var hidden = new List<int>();
        var learnedVariance = false;
        var layerNorm = false;
        var prior = VaePrior.Standard;
        var pseudoInputs = 500;
        switch (layout)
        {
            case PyTorchLayout.Tutorial:
                (first, meanHead, logVarianceHead) = ("encoder.fc1.weight", "encoder.fc2_mean.weight", "encoder.fc2_logvar.weight");
                break;
            case PyTorchLayout.Examples:
                (first, meanHead, logVarianceHead) = ("fc1.weight", "fc21.weight", "fc22.weight");
                break;
            default:
                if (tensors.Keys.Any(k => k.StartsWith("encoder.convolutions.", StringComparison.Ordinal)))
                    throw new InvalidDataException(
                        $"'{source}' holds a convolutional model, whose image size its shapes do not record: pass {nameof(PyTorchImportOptions)}.{nameof(PyTorchImportOptions.Architecture)}.");
                first = tensors.ContainsKey("encoder.hidden.fc1.weight") ? "encoder.hidden.fc1.weight" : "encoder.mean.weight";
                (meanHead, logVarianceHead) = ("encoder.mean.weight", "encoder.logVar.weight");
                for (var i = 1; tensors.TryGetValue($"encoder.hidden.fc{i}.weight", out var weight) && weight.dim() == 2; i++)
                    hidden.Add((int)weight.shape[0]);
                learnedVariance = tensors.ContainsKey("decoder.logVariance");
                layerNorm = tensors.ContainsKey("encoder.hidden.norm1.weight");
                if (tensors.TryGetValue("prior.pseudoInputs", out var pseudo) && pseudo.dim() == 2)
                    (prior, pseudoInputs) = (VaePrior.Vamp, (int)pseudo.shape[0]);
                break;
        }
        if (!tensors.TryGetValue(first, out var firstWeight) || firstWeight.dim() != 2) return null;
        // Either head gives the latent size, so a file missing one still has its other tensors' shapes checked.
        if ((!tensors.TryGetValue(meanHead, out var meanWeight) || meanWeight.dim() != 2)
            && (!tensors.TryGetValue(logVarianceHead, out meanWeight) || meanWeight.dim() != 2)) return null;
        if (layout != PyTorchLayout.Vae) hidden.Add((int)firstWeight.shape[0]);
        // The decoder's first layer reads the latent code and the condition: any width beyond the latent size is a
        // condition, whose kind (classes, one-hot, or a vector) no shape records.
        if (tensors.TryGetValue(layout switch { PyTorchLayout.Tutorial => "decoder.fc1.weight", PyTorchLayout.Examples => "fc3.weight", _ => "decoder.layers.fc1.weight" }, out var decoderWeight)
            && decoderWeight.dim() == 2 && decoderWeight.shape[1] > meanWeight.shape[0])
            throw new InvalidDataException(
                $"'{source}' holds a conditional model (its decoder reads {decoderWeight.shape[1]} values for a latent size of {meanWeight.shape[0]}), " +
                $"whose kind of condition (classes or a vector of {decoderWeight.shape[1] - meanWeight.shape[0]}) its shapes do not record: pass {nameof(PyTorchImportOptions)}.{nameof(PyTorchImportOptions.Architecture)}.");
        return new VaeOptions
        {
            InputSize = (int)firstWeight.shape[1],
            HiddenSizes = hidden,
            LatentSize = (int)meanWeight.shape[0],
            Likelihood = learnedVariance ? VaeLikelihood.Gaussian : import.Likelihood,
            GaussianVariance = import.GaussianVariance,
            LearnGaussianVariance = learnedVariance,
            LayerNormalization = layerNorm,
            Prior = prior,
            PseudoInputs = pseudoInputs,
        };
    }

    /// <summary>The keys of <paramref name="layout"/> for a one-hidden-layer MLP: what a file that matches nothing is missing.</summary>
    public static IEnumerable<string> DefaultKeys(PyTorchLayout layout) =>
        (layout switch { PyTorchLayout.Tutorial => TutorialLayers, PyTorchLayout.Examples => ExamplesLayers, _ => VaeLayers })
        .SelectMany(layer => new[] { layer + ".weight", layer + ".bias" });
}
