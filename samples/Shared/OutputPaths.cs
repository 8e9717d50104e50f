namespace Vae.Samples;

/// <summary>
/// Keeps a command from writing over its own inputs: an output named like an input (through "..", a symbolic link or,
/// where the file system ignores case, other capitals) is refused before anything is written.
/// </summary>
internal static class OutputPaths
{
    private static readonly StringComparison Comparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Whether the two paths name one file: full paths with every symbolic link on the way resolved.</summary>
    public static bool Same(string first, string second) => string.Equals(Canonical(first), Canonical(second), Comparison);

    /// <summary>
    /// The first input that <paramref name="output"/> would replace, as an error message, or null if none; inputs
    /// without a path are skipped.
    /// </summary>
    public static string? Clash(string outputOption, string output, params (string Option, string? Path)[] inputs)
    {
        foreach (var (option, path) in inputs)
        {
            if (string.IsNullOrWhiteSpace(path) || !Same(output, path)) continue;
            return $"{outputOption} '{output}' is the same file as {option} '{path}': writing it would replace that input; choose another {outputOption}.";
        }
        return null;
    }

    /// <summary>Throws if <paramref name="output"/> names one of <paramref name="inputs"/>.</summary>
    /// <exception cref="IOException">The output would replace an input; the message names both.</exception>
    public static void Refuse(string outputOption, string output, params (string Option, string? Path)[] inputs)
    {
        if (Clash(outputOption, output, inputs) is { } problem) throw new IOException(problem);
    }

    /// <summary>The full path of <paramref name="path"/> with the symbolic links among its folders and itself followed.</summary>
    public static string Canonical(string path) => Canonical(Path.GetFullPath(path), depth: 0);

    private static string Canonical(string full, int depth)
    {
        var root = Path.GetPathRoot(full) ?? "";
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar))
        {
            if (part.Length == 0) continue;
            current = Path.Combine(current, part);
            if (depth > 40) continue; // a loop of links: compare what there is
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            string? target;
            try
            {
                target = info.LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target = null;
            }
            if (target is null) continue;
            // A relative target is relative to the link's folder.
            var resolved = Path.GetFullPath(target, Path.GetDirectoryName(current) ?? root);
            current = Canonical(resolved, depth + 1);
        }
        return current;
    }
}
