namespace Vae.Samples;

/// <summary>Reports on the training thread: Spectre's tasks are thread-safe, and System.Progress would queue every batch.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
