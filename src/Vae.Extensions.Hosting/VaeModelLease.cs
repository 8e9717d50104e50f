using Vae.Core;

namespace Vae.Extensions.Hosting;

/// <summary>
/// A hold on one <see cref="VaeModelSnapshot"/> for the length of a request: the model stays alive until the lease is
/// disposed, even when the file is reloaded meanwhile, so a request in flight finishes on the model it started with.
/// Dispose it (a <c>using</c>) when the request is done; leases of one snapshot may be used from many threads at once.
/// </summary>
public sealed class VaeModelLease : IDisposable
{
    private int released;

    internal VaeModelLease(VaeModelSnapshot snapshot) => Snapshot = snapshot;

    /// <summary>The snapshot held.</summary>
    public VaeModelSnapshot Snapshot { get; }

    /// <summary>The snapshot's model.</summary>
    public VariationalAutoencoder Model => Snapshot.Model;

    /// <summary>The snapshot's anomaly detector.</summary>
    public AnomalyDetector Detector => Snapshot.Detector;

    /// <summary>Releases the hold; the snapshot's model is disposed if it has been replaced and this was its last lease.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) Snapshot.Release();
    }
}
