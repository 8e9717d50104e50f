using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Vae.Benchmarks;

/// <summary>
/// Busy processes beside a measurement (<c>--load N</c>): each spins one thread flat out until disposed, as other
/// tenants of a shared machine would. Processes rather than threads of this one, because the neighbours that slow
/// training down are other programs. By default they stay in the benchmark's session, so that where Linux shares CPU
/// time out by session (autogroup) every thread still competes with every other, as it does with autogroup off or
/// beside programs started from the same terminal: the hardest case for threads that wait for each other.
/// With <c>--own-sessions</c> (Linux) each starts a session of its own, and the kernel gives it a share apart from the
/// benchmark's, as a program started elsewhere would get.
/// </summary>
internal sealed class BusyNeighbours : IDisposable
{
    /// <summary>The argument that makes this program a busy neighbour instead of a benchmark.</summary>
    public const string Mode = "spin";

    private const string OwnSession = "--own-session";

    private readonly List<Process> processes = [];

    public BusyNeighbours(int count, bool ownSessions = false)
    {
        for (var i = 0; i < count; i++)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            // Under `dotnet Vae.Benchmarks.dll` the process is the dotnet host, which needs the assembly named again.
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
                start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
            start.ArgumentList.Add(Mode);
            if (ownSessions) start.ArgumentList.Add(OwnSession);
            var process = Process.Start(start)!;
            processes.Add(process);
            // Spinning before the measurement starts, not still loading the runtime.
            process.StandardOutput.ReadLine();
        }
    }

    public int Count => processes.Count;

    /// <summary>The neighbour's side: say it is ready, then spin until its parent closes standard input (or dies).</summary>
    public static void Spin(string[] args)
    {
        if (args.Contains(OwnSession) && OperatingSystem.IsLinux()) _ = setsid();
        new Thread(() =>
        {
            Console.In.ReadToEnd();
            Environment.Exit(0);
        }) { IsBackground = true }.Start();
        Console.WriteLine("spinning");
        Console.Out.Flush();
        var counter = 0UL;
        while (true) counter = unchecked(counter * 6364136223846793005UL + 1442695040888963407UL);
    }

    public void Dispose()
    {
        foreach (var process in processes)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(2000)) process.Kill();
            process.Dispose();
        }
        processes.Clear();
    }

    [DllImport("libc")]
    private static extern int setsid();
}
