namespace Vae.Core.Data;

/// <summary>How far the download of one file has got.</summary>
/// <param name="FileName">The file being downloaded, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Mirror">The mirror it is coming from.</param>
/// <param name="BytesReceived">Bytes received so far from this mirror.</param>
/// <param name="TotalBytes">The file's size when the server announced it, otherwise null.</param>
public sealed record DownloadProgress(string FileName, Uri Mirror, long BytesReceived, long? TotalBytes);
