namespace Vae.Samples;

/// <summary>
/// One run at a time per output folder: a lock file held open with <see cref="FileShare.None"/> for the whole run.
/// The operating system releases it when the process ends, however it ends, so a killed run never leaves a stale lock
/// behind (the file itself stays: deleting it would let a third run lock a new file while a second still holds the old one).
/// </summary>
internal sealed class OutputFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the output folder.</summary>
    public const string FileName = ".vae-run.lock";

    private readonly FileStream file;

    private OutputFolderLock(FileStream file) => this.file = file;

    /// <summary>Creates <paramref name="folder"/> if needed and locks it.</summary>
    /// <exception cref="IOException">Another run holds the folder; the message names it.</exception>
    public static OutputFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        try
        {
            return new OutputFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw new IOException(
                $"another run is already using the output folder '{Path.GetFullPath(folder)}' (it holds {FileName}); wait for it to end or choose another --output.", e);
        }
    }

    public void Dispose() => file.Dispose();
}
