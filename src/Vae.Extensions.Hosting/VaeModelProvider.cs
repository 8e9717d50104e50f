using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vae.Core;

namespace Vae.Extensions.Hosting;

/// <summary>
/// The served model, loaded once from <see cref="VaeServingOptions.ModelPath"/> and shared by every request: take a
/// <see cref="VaeModelLease"/> with <see cref="Acquire"/> for each request and score through it (the library's inference
/// is safe from many threads at once). When the file is replaced the new file is loaded beside the old model and
/// swapped in atomically; requests in flight finish on the old model, which is disposed after the last of them. A new
/// file that cannot be loaded leaves the old model serving and is reported by <see cref="LastReloadFailure"/> and the
/// health check.
/// </summary>
/// <example>
/// <code>
/// app.MapPost("/score", (float[][] rows, VaeModelProvider models) =>
/// {
///     using var lease = models.Acquire();               // this request's model, whatever reloads meanwhile
///     using var scope = torch.NewDisposeScope();
///     return lease.Detector.Detect(ArrayRows(rows));     // [N, InputSize] tensor of the rows
/// });
/// </code>
/// </example>
public sealed class VaeModelProvider : IDisposable
{
    private readonly VaeServingOptions options;
    private readonly ILogger logger;
    private readonly object reloadGate = new();
    private readonly FileSystemWatcher? watcher;
    private readonly Timer? debounce;
    private VaeModelSnapshot current;
    private VaeReloadFailure? lastFailure;
    private long reloads;
    private long failedReloads;
    private int disposed;

    /// <summary>Loads the file named by the options, and watches it when <see cref="VaeServingOptions.ReloadOnChange"/>.</summary>
    /// <param name="options">The validated serving options.</param>
    /// <param name="logger">Where loads and failed reloads are logged; none when null.</param>
    /// <exception cref="OptionsValidationException">The options are invalid (no file, a negative delay).</exception>
    /// <exception cref="InvalidDataException">The file is not a valid model file, or holds no detector although one is required; the message names the file.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    public VaeModelProvider(IOptions<VaeServingOptions> options, ILogger<VaeModelProvider>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.logger = logger ?? (ILogger)NullLogger.Instance;
        FullPath = Path.GetFullPath(this.options.ModelPath);
        current = Load(1);
        this.logger.LogInformation("Serving the {Architecture} model from {Path}, loaded in {Milliseconds:F0} ms.", current.Architecture, FullPath, current.LoadDuration.TotalMilliseconds);
        if (!this.options.ReloadOnChange) return;
        debounce = new Timer(_ => ReloadAfterChange(), null, Timeout.Infinite, Timeout.Infinite);
        watcher = new FileSystemWatcher(Path.GetDirectoryName(FullPath)!, Path.GetFileName(FullPath))
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += OnFileEvent;
        watcher.Created += OnFileEvent;
        watcher.Renamed += OnFileEvent;
        watcher.EnableRaisingEvents = true;
    }

    /// <summary>The full path of the served file.</summary>
    public string FullPath { get; }

    /// <summary>
    /// The snapshot being served now, for its description (file, architecture, load time). To use its model, take a
    /// lease with <see cref="Acquire"/>: a snapshot read here may be replaced and disposed at any moment.
    /// </summary>
    public VaeModelSnapshot Current => Volatile.Read(ref current);

    /// <summary>The last reload that failed since the last one that succeeded; null when the latest attempt loaded.</summary>
    public VaeReloadFailure? LastReloadFailure => Volatile.Read(ref lastFailure);

    /// <summary>Successful reloads since start-up.</summary>
    public long Reloads => Interlocked.Read(ref reloads);

    /// <summary>Failed reloads since start-up.</summary>
    public long FailedReloads => Interlocked.Read(ref failedReloads);

    /// <summary>Holds the current snapshot until the lease is disposed; cheap (two atomic operations).</summary>
    /// <returns>A lease on the model being served now.</returns>
    /// <exception cref="ObjectDisposedException">The provider is disposed.</exception>
    public VaeModelLease Acquire()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            var snapshot = Volatile.Read(ref current);
            // A snapshot swapped out and released between the read and here cannot be revived: read the new one.
            if (snapshot.TryAddReference()) return new VaeModelLease(snapshot);
        }
    }

    /// <summary>
    /// Loads the file again now and, when it loads, serves it; when it does not, keeps serving the current model and
    /// records the failure (<see cref="LastReloadFailure"/>). File changes call this by themselves.
    /// </summary>
    /// <returns>Whether the new file is now served.</returns>
    /// <exception cref="ObjectDisposedException">The provider is disposed.</exception>
    public bool TryReload()
    {
        lock (reloadGate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            VaeModelSnapshot next;
            try
            {
                next = Load(current.Version + 1);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Volatile.Write(ref lastFailure, new VaeReloadFailure(FullPath, e.Message, DateTimeOffset.UtcNow));
                Interlocked.Increment(ref failedReloads);
                logger.LogWarning(e, "The model file {Path} changed but could not be loaded; still serving version {Version} loaded at {LoadedAt:O}.", FullPath, current.Version, current.LoadedAt);
                return false;
            }
            var old = Interlocked.Exchange(ref current, next);
            Volatile.Write(ref lastFailure, null);
            Interlocked.Increment(ref reloads);
            old.Release();
            logger.LogInformation("Reloaded {Path}: version {Version}, {Architecture}, in {Milliseconds:F0} ms.", FullPath, next.Version, next.Architecture, next.LoadDuration.TotalMilliseconds);
            return true;
        }
    }

    /// <summary>Stops watching the file and releases the current model (disposed once its last lease is released).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        watcher?.Dispose();
        debounce?.Dispose();
        lock (reloadGate) current.Release();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (!string.Equals(e.FullPath, FullPath, StringComparison.Ordinal) || Volatile.Read(ref disposed) != 0) return;
        // Every event restarts the delay: the load happens once the file has been quiet for ReloadDelay.
        try
        {
            debounce?.Change(options.ReloadDelay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void ReloadAfterChange()
    {
        if (Volatile.Read(ref disposed) != 0) return;
        try
        {
            TryReload();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private VaeModelSnapshot Load(long version)
    {
        var clock = Stopwatch.StartNew();
        byte[] bytes;
        DateTimeOffset lastWrite;
        // One read of one version of the file: an atomic replacement meanwhile swaps the name, not what this handle reads.
        using (var stream = new FileStream(FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            lastWrite = File.GetLastWriteTimeUtc(stream.SafeFileHandle);
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        using var memory = new MemoryStream(bytes, writable: false);
        var attachments = VaeModelFile.ReadAttachments(memory, FullPath);
        memory.Position = 0;
        AnomalyDetector detector;
        var saved = attachments.ContainsKey(AnomalyDetector.AttachmentName);
        if (saved)
        {
            detector = AnomalyDetector.Load(memory, FullPath);
        }
        else
        {
            if (options.RequireDetector)
                throw new InvalidDataException(
                    $"'{FullPath}' holds a model but no anomaly detector, and {nameof(VaeServingOptions.RequireDetector)} is set: save one with AnomalyDetector.Save.");
            var model = VaeModelFile.Load(memory, FullPath);
            detector = new AnomalyDetector(model, options.Threshold ?? double.PositiveInfinity);
        }
        return new VaeModelSnapshot(detector, saved, FullPath, version, DateTimeOffset.UtcNow, clock.Elapsed, bytes.LongLength, lastWrite);
    }
}
