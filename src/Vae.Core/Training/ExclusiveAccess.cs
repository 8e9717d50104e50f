namespace Vae.Core;

/// <summary>
/// Lets one thread at a time into an object's state-changing calls, and tells a second thread so instead of letting
/// both corrupt it; the holder's own nested calls pass where they are harmless.
/// </summary>
internal sealed class ExclusiveAccess(string busyMessage, string nestedMessage)
{
    private int holder; // the managed thread id inside, 0 when free

    /// <summary>Enters for the current thread until the returned value is disposed.</summary>
    /// <param name="reentrant">Whether a call nested in the holder's own call (on its thread) may pass.</param>
    /// <exception cref="InvalidOperationException">Another thread is inside, or the holder nests a call that may not.</exception>
    public Scope Enter(bool reentrant)
    {
        var me = Environment.CurrentManagedThreadId;
        var current = Interlocked.CompareExchange(ref holder, me, 0);
        if (current == 0) return new Scope(this);
        if (current == me && reentrant) return default;
        throw new InvalidOperationException(current == me ? nestedMessage : busyMessage);
    }

    public readonly struct Scope(ExclusiveAccess? owner) : IDisposable
    {
        public void Dispose()
        {
            if (owner is not null) Volatile.Write(ref owner.holder, 0);
        }
    }
}
