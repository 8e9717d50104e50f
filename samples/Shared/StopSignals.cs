using System.Runtime.InteropServices;

namespace Vae.Samples;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM, the way containers and job schedulers stop a program, into a cancellation, so a
/// run finishes its batch, writes its checkpoint and says how to go on. A second signal ends the process at once.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private volatile string? received;
    private int exitCode;

    public StopSignals()
    {
        Register(PosixSignal.SIGINT, "Ctrl-C", 130);
        Register(PosixSignal.SIGTERM, "SIGTERM", 143);
    }

    public CancellationToken Token => source.Token;

    /// <summary>The signal that stopped the run, or null.</summary>
    public string? Received => received;

    /// <summary>The customary exit code after the signal: 128 + its number.</summary>
    public int ExitCode => exitCode;

    private void Register(PosixSignal signal, string name, int code)
    {
        try
        {
            registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (received is not null) return; // the second signal: the default action ends the process now
                context.Cancel = true;
                exitCode = code;
                received = name;
                source.Cancel();
            }));
        }
        catch (PlatformNotSupportedException)
        {
            // Where a signal does not exist, nothing can send it.
        }
    }

    public void Dispose()
    {
        foreach (var registration in registrations) registration.Dispose();
        source.Dispose();
    }
}
