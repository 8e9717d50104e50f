using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Vae.Samples.Tests;

/// <summary>
/// Runs a sample program as its own process, the way a user, a container or a job scheduler does: its exit code,
/// its output and how it reacts to signals are what these tests check, and none of that shows in-process.
/// </summary>
internal sealed class SampleProcess : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly Process process;
    private readonly Task<string> output;
    private readonly Task<string> error;

    private SampleProcess(string program, IEnumerable<string> args, string? workingDirectory)
    {
        var start = new ProcessStartInfo(InterruptIgnored ? "env" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        if (InterruptIgnored)
        {
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add("dotnet");
        }
        // The sample's own copy beside the tests, with its runtimeconfig and the shipped digits.
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program + ".dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // One libtorch thread: the test assemblies run side by side on a small machine.
        start.Environment["OMP_NUM_THREADS"] = "1";
        process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        output = process.StandardOutput.ReadToEndAsync();
        error = process.StandardError.ReadToEndAsync();
    }

    /// <summary>
    /// Whether this process ignores SIGINT, as every command a non-interactive shell starts in the background does
    /// (<c>dotnet test &amp;</c> in a CI script, <c>nohup</c>): the sample would inherit the ignore, and .NET keeps an
    /// inherited ignore, so the Ctrl-C a test sends would never arrive. GNU env (coreutils 8.31 or later) then starts
    /// the sample with SIGINT at its default, as a terminal's foreground job has it.
    /// </summary>
    private static bool InterruptIgnored { get; } = IgnoresInterrupt() && EnvResetsSignals();

    // An older env (before coreutils 8.31) has no --default-signal; the sample then starts as it would have.
    private static bool EnvResetsSignals()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", "true"]) { RedirectStandardError = true, UseShellExecute = false });
            if (probe is null) return false;
            probe.StandardError.ReadToEnd();
            return probe.WaitForExit(10_000) && probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static bool IgnoresInterrupt()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/status")) return false;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        const ulong interrupt = 1UL << (2 - 1);
        return line is not null
            && ulong.TryParse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var ignored)
            && (ignored & interrupt) != 0;
    }

    public static SampleProcess Start(string program, IEnumerable<string> args, string? workingDirectory = null) => new(program, args, workingDirectory);

    /// <summary>Runs the program to its end.</summary>
    public static Result Run(string program, params string[] args)
    {
        using var run = Start(program, args);
        return run.WaitForExit();
    }

    public bool HasExited => process.HasExited;

    /// <summary>Sends a POSIX signal, as <c>kill -SIGNAL pid</c> does.</summary>
    public void Signal(int signal)
    {
        if (kill(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public Result WaitForExit() =>
        WaitForExit(Patience) ?? throw new TimeoutException($"the sample did not end within {Patience}");

    /// <summary>The result, or null (and the process killed) if it is still running after <paramref name="timeout"/>.</summary>
    public Result? WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return null;
        }
        process.WaitForExit(); // the output readers finish too
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }
}
