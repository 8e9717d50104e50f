using System.Runtime.InteropServices;
using TorchSharp;

namespace Vae.Core;

/// <summary>
/// Process-wide settings of the libtorch runtime behind Vae: a check that its native library can load, and the
/// number of CPU threads it uses.
/// </summary>
public static class VaeRuntime
{
    /// <summary>The libstdc++ symbol version that TorchSharp's native library (libLibTorchSharp.so) needs on Linux.</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    private static readonly Lazy<string?> NativeProblem = new(() => FindNativeProblem(RequiredGlibcxx));

    /// <summary>
    /// Throws one clear exception if libtorch cannot load on this machine for a reason Vae knows how to fix
    /// (on Linux: a libstdc++ older than GCC 13's). Vae's modules call this before their first use of TorchSharp;
    /// call it yourself before touching <c>torch</c> directly to get the same message.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The native prerequisites are missing; the message says how to install them.</exception>
    public static void EnsureNativeLibraryLoadable()
    {
        if (NativeProblem.Value is { } problem)
            throw new PlatformNotSupportedException(problem);
    }

    /// <summary>
    /// The most CPU threads <see cref="SetCpuThreads"/> accepts: four per logical processor. More only adds threads
    /// that wait for a core, and a count in the thousands makes libtorch and the fused kernels spend minutes creating them.
    /// </summary>
    public static int MaxCpuThreads => 4 * Environment.ProcessorCount;

    /// <summary>
    /// Sets how many threads libtorch uses for one operation on the CPU (its OpenMP and BLAS pools) for the whole
    /// process. libtorch's default is the number of physical cores; see README's performance section for
    /// measurements of the 784-400-20 model.
    /// </summary>
    /// <param name="threads">A thread count from 1 to <see cref="MaxCpuThreads"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is not positive, or above <see cref="MaxCpuThreads"/>.</exception>
    public static void SetCpuThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (threads > MaxCpuThreads)
            throw new ArgumentOutOfRangeException(
                nameof(threads), threads,
                $"{threads} CPU threads is more than this machine can use: at most {MaxCpuThreads} (4 x its " +
                $"{Environment.ProcessorCount} logical processors).");
        EnsureNativeLibraryLoadable();
        torch.set_num_threads(threads);
    }

    /// <summary>The number of threads libtorch uses for one operation on the CPU.</summary>
    public static int CpuThreads
    {
        get
        {
            EnsureNativeLibraryLoadable();
            return torch.get_num_threads();
        }
    }

    /// <summary>Checks the native prerequisites, then returns <paramref name="name"/>: for module base constructors.</summary>
    internal static string CheckedName(string name)
    {
        EnsureNativeLibraryLoadable();
        return name;
    }

    /// <summary>Null when libstdc++ provides <paramref name="glibcxxVersion"/> (or the check does not apply here), else what to do.</summary>
    internal static string? FindNativeProblem(string glibcxxVersion)
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (!NativeLibrary.TryLoad("libstdc++.so.6", out var handle)) return null; // libtorch will report it itself
        try
        {
            // std::ios_base_library_init() first appeared in GLIBCXX_3.4.32 (GCC 13).
            if (HasVersionedSymbol(handle, "_ZSt21ios_base_library_initv", glibcxxVersion)) return null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null; // no dlvsym (not glibc): nothing to say beyond what libtorch says
        }
        return
            $"TorchSharp's native library needs libstdc++ with {glibcxxVersion} (GCC 13 or newer), but this machine's " +
            $"libstdc++.so.6{LoadedPath("libstdc++.so.6")} is older. " +
            "On Debian 12 run 'sudo bash .ci/install-libstdcxx' from the Vae repository, which installs libstdc++6 from " +
            "Debian 13 pinned so nothing else is upgraded; on other distributions install the libstdc++ of GCC 13 or newer. " +
            "Ubuntu 24.04, Debian 13, Fedora 39+, Windows and macOS already have it.";
    }

    private static bool HasVersionedSymbol(IntPtr handle, string symbol, string version)
    {
        try
        {
            return LibC.dlvsym(handle, symbol, version) != IntPtr.Zero;
        }
        catch (EntryPointNotFoundException)
        {
            return LibDl.dlvsym(handle, symbol, version) != IntPtr.Zero; // glibc before 2.34
        }
    }

    private static string LoadedPath(string library)
    {
        try
        {
            var path = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
                .FirstOrDefault(p => p is not null && p.Contains(library, StringComparison.Ordinal));
            return path is null ? "" : $" ({path})";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static class LibC
    {
        [DllImport("libc.so.6", CharSet = CharSet.Ansi, BestFitMapping = false)]
        public static extern IntPtr dlvsym(IntPtr handle, string symbol, string version);
    }

    private static class LibDl
    {
        [DllImport("libdl.so.2", CharSet = CharSet.Ansi, BestFitMapping = false)]
        public static extern IntPtr dlvsym(IntPtr handle, string symbol, string version);
    }
}
