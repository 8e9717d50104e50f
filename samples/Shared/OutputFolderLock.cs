using System.Text.RegularExpressions;
using Vae.Core;

namespace Vae.Samples;

/// <summary>
/// One run at a time per output folder: a lock file held open with <see cref="FileShare.None"/> for the whole run.
/// The operating system releases it when the process ends, however it ends, so a killed run never leaves a stale lock
/// behind (the file itself stays: deleting it would let a third run lock a new file while a second still holds the old one).
/// A killed run can leave the temporary file of a save behind (<c>NAME.&lt;random&gt;.tmp</c>, see <see cref="AtomicFile"/>);
/// the run that takes the lock deletes those of the files it writes, and nothing else.
/// </summary>
internal sealed class OutputFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the output folder.</summary>
    public const string FileName = ".vae-run.lock";

    /// <summary>The random part of the library's and the samples' temporary files: a GUID as 32 hex digits.</summary>
    private static readonly Regex RandomPart = new("^[0-9a-f]{32}$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    private readonly FileStream file;

    private OutputFolderLock(FileStream file) => this.file = file;

    /// <summary>
    /// Creates <paramref name="folder"/> if needed, locks it, and deletes the stale temporary files of
    /// <paramref name="ownFiles"/> (names of files directly in the folder) that a killed run left.
    /// </summary>
    /// <exception cref="IOException">Another run holds the folder; the message names it.</exception>
    public static OutputFolderLock Acquire(string folder, IEnumerable<string>? ownFiles = null)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        OutputFolderLock held;
        try
        {
            held = new OutputFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw new IOException(
                $"another run is already using the output folder '{Path.GetFullPath(folder)}' (it holds {FileName}); wait for it to end or choose another --output.", e);
        }
        if (ownFiles is not null) DeleteStaleTemporaries(folder, ownFiles);
        return held;
    }

    /// <summary>
    /// Deletes <c>NAME.&lt;32 hex digits&gt;.tmp</c> for each NAME in <paramref name="ownFiles"/>; only the holder of the
    /// lock may call it, since no other run of these samples writes those files meanwhile.
    /// </summary>
    /// <returns>The names of the files deleted.</returns>
    internal static IReadOnlyList<string> DeleteStaleTemporaries(string folder, IEnumerable<string> ownFiles)
    {
        var names = ownFiles.ToHashSet(StringComparer.Ordinal);
        var deleted = new List<string>();
        foreach (var candidate in Directory.EnumerateFiles(folder, "*" + AtomicFile.TemporarySuffix))
        {
            var name = Path.GetFileName(candidate);
            var stem = name[..^AtomicFile.TemporarySuffix.Length];
            var dot = stem.LastIndexOf('.');
            if (dot <= 0 || !names.Contains(stem[..dot]) || !RandomPart.IsMatch(stem[(dot + 1)..])) continue;
            try
            {
                File.Delete(candidate);
                deleted.Add(name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover that cannot go now goes on a later run; the run itself does not need it gone.
            }
        }
        return deleted;
    }

    public void Dispose() => file.Dispose();
}
