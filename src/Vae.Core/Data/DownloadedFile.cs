namespace Vae.Core.Data;

/// <summary>One verified file of a <see cref="MnistDownloader"/> run.</summary>
/// <param name="FileName">The file's name, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Path">Where it is on disk.</param>
/// <param name="Source">The URL it was downloaded from, or null when a valid copy was already present.</param>
public sealed record DownloadedFile(string FileName, string Path, Uri? Source)
{
    /// <summary>Whether this run downloaded the file (rather than finding a valid copy already present).</summary>
    public bool WasDownloaded => Source is not null;
}
