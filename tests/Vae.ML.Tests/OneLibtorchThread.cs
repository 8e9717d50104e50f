using System.Runtime.CompilerServices;

namespace Vae.ML.Tests;

internal static class OneLibtorchThread
{
    // dotnet test runs the test assemblies side by side; each with its own OpenMP pool on every core would
    // oversubscribe the machine. Results do not depend on the thread count.
    [ModuleInitializer]
    internal static void Apply()
    {
        // The probe process (ModelProbe.Main) must not load Vae.Core: it shows a saved model needs neither it nor libtorch.
        if (Environment.GetEnvironmentVariable(ModelProbe.Marker) is null) OneThread();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OneThread() => Vae.Core.VaeRuntime.SetCpuThreads(1);
}
