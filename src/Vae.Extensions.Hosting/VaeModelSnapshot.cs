using Vae.Core;

namespace Vae.Extensions.Hosting;

/// <summary>
/// One loaded version of the served file: its model, its detector and where and when it came from. A snapshot is
/// immutable; the provider disposes its model once it has been replaced and the last <see cref="VaeModelLease"/> on
/// it is released.
/// </summary>
public sealed class VaeModelSnapshot
{
    // The provider's own reference plus one per open lease; the model is disposed when it reaches zero.
    private int references = 1;

    internal VaeModelSnapshot(AnomalyDetector detector, bool hasSavedDetector, string path, long version, DateTimeOffset loadedAt, TimeSpan loadDuration, long fileLength, DateTimeOffset fileLastWrite)
    {
        Detector = detector;
        HasSavedDetector = hasSavedDetector;
        Path = path;
        Version = version;
        LoadedAt = loadedAt;
        LoadDuration = loadDuration;
        FileLength = fileLength;
        FileLastWriteTime = fileLastWrite;
    }

    /// <summary>The model; use it only while a lease on this snapshot is open.</summary>
    public VariationalAutoencoder Model => Detector.Model;

    /// <summary>The anomaly detector: the file's own, or one with <see cref="VaeServingOptions.Threshold"/> for a file holding a model alone.</summary>
    public AnomalyDetector Detector { get; }

    /// <summary>Whether the file held a detector (its threshold and score kind) rather than a model alone.</summary>
    public bool HasSavedDetector { get; }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>The model's architecture, as <see cref="VaeOptions.ToString"/> writes it (784-400-20, say).</summary>
    public string Architecture => Model.Options.ToString();

    /// <summary>1 for the model loaded at start-up, one more for each successful reload.</summary>
    public long Version { get; }

    /// <summary>When the load finished.</summary>
    public DateTimeOffset LoadedAt { get; }

    /// <summary>How long reading and building the model took.</summary>
    public TimeSpan LoadDuration { get; }

    /// <summary>The size of the file that was read, in bytes.</summary>
    public long FileLength { get; }

    /// <summary>The file's last write time when it was read.</summary>
    public DateTimeOffset FileLastWriteTime { get; }

    internal bool TryAddReference()
    {
        while (true)
        {
            var current = Volatile.Read(ref references);
            if (current == 0) return false;
            if (Interlocked.CompareExchange(ref references, current + 1, current) == current) return true;
        }
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref references) != 0) return;
        // A saved detector owns its model; one made here for a model alone does not.
        Detector.Dispose();
        if (!HasSavedDetector) Model.Dispose();
    }

    internal bool IsDisposed => Volatile.Read(ref references) == 0;
}
