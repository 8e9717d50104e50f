namespace Vae.Core;

/// <summary>
/// A PyTorch state dict that does not fit the model it is loaded into, reported as PyTorch's strict
/// <c>load_state_dict</c> does: every missing key, every unexpected key and every shape mismatch at once.
/// </summary>
public sealed class StateDictMismatchException : Exception
{
    /// <summary>Creates the exception; the message lists all three kinds of problem.</summary>
    /// <param name="source">The file (or stream) the state dict came from.</param>
    /// <param name="layout">The layout the keys were compared with.</param>
    /// <param name="missingKeys">Keys the model needs that the file lacks.</param>
    /// <param name="unexpectedKeys">Keys in the file that the model has no place for.</param>
    /// <param name="shapeMismatches">Keys present in both with different shapes, each as <c>key: file [..], model [..]</c>.</param>
    public StateDictMismatchException(string source, PyTorchLayout layout, IReadOnlyList<string> missingKeys,
        IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : base(Describe(source, layout, missingKeys, unexpectedKeys, shapeMismatches))
    {
        SourceName = source;
        Layout = layout;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The file (or stream) the state dict came from.</summary>
    public string SourceName { get; }

    /// <summary>The layout the keys were compared with: the one given, or the one closest to the file's keys.</summary>
    public PyTorchLayout Layout { get; }

    /// <summary>Keys the model needs that the file lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys in the file that the model has no place for.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys present in both whose shapes differ, each as <c>key: file [..], model [..]</c>.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    // The message lists this many of each kind and counts the rest; the properties keep them all.
    private const int Listed = 20;

    private static string Some(IEnumerable<string> items, string separator)
    {
        var list = items.ToList();
        var shown = string.Join(separator, list.Take(Listed).Select(item => item.Length > 200 ? item[..200] + "..." : item));
        return list.Count > Listed ? $"{shown} and {list.Count - Listed:N0} more" : shown;
    }

    private static string Describe(string source, PyTorchLayout layout, IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing keys: {Some(missing.Select(k => $"'{k}'"), ", ")}");
        if (unexpected.Count > 0) parts.Add($"unexpected keys: {Some(unexpected.Select(k => $"'{k}'"), ", ")}");
        if (mismatched.Count > 0) parts.Add($"shape mismatches: {Some(mismatched, "; ")}");
        return $"'{source}' does not fit the {layout} layout of a VAE state dict ({string.Join("; ", parts)}). " +
            $"Recognised layouts: {nameof(PyTorchLayout.Vae)} (encoder.hidden.fc1, encoder.mean, encoder.logVar, decoder.layers.fc1, ...), " +
            $"{nameof(PyTorchLayout.Tutorial)} (encoder.fc1, encoder.fc2_mean, encoder.fc2_logvar, decoder.fc1, decoder.fc2) and " +
            $"{nameof(PyTorchLayout.Examples)} (fc1, fc21, fc22, fc3, fc4).";
    }
}
