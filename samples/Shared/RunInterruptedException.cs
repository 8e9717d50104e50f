namespace Vae.Samples;

/// <summary>A run stopped by a signal, with what it leaves behind (e.g. "after 3 epoch(s); continue with --resume").</summary>
internal sealed class RunInterruptedException(string state, CancellationToken token) : OperationCanceledException(state, token);
