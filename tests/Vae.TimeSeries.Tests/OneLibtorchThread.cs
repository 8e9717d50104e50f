using System.Runtime.CompilerServices;

namespace Vae.TimeSeries.Tests;

internal static class OneLibtorchThread
{
    // dotnet test runs the test assemblies side by side; each with its own OpenMP pool on every core would
    // oversubscribe the machine. Results do not depend on the thread count.
    [ModuleInitializer]
    internal static void Apply() => Vae.Core.VaeRuntime.SetCpuThreads(1);
}
