using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vae.Core;

/// <summary>
/// How long libtorch's OpenMP threads spin before they sleep, set before libtorch loads.
/// </summary>
/// <remarks>
/// libgomp lets an idle worker spin for 300,000 iterations (milliseconds) waiting for the next parallel region. A VAE
/// step runs many short regions, and when anything else wants the same cores (another process, a second test
/// assembly) those spinning workers take the time the working ones need: measured on 2 cores, training fell from
/// about 17,000 to 720 images per second with one other busy process. With a spin of 10,000 iterations it stayed at
/// 17,000, and on an idle machine it made no difference (19,000 either way). The environment is read once, when
/// libgomp loads, so this runs when Vae.Core is first used; anything the user set is left alone.
/// </remarks>
internal static class OpenMpDefaults
{
    public const string SpinCountVariable = "GOMP_SPINCOUNT";
    public const string SpinCount = "10000";

#pragma warning disable CA2255 // a library module initializer is the only hook that runs before libtorch loads
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux()) return; // libgomp is the OpenMP runtime of libtorch's Linux build
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null) return;
        try
        {
            // .NET keeps its own copy of the environment on Unix; native code reads libc's.
            setenv(SpinCountVariable, SpinCount, overwrite: 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int setenv(string name, string value, int overwrite);
}
