using FluentAssertions;
using Vae.Core;
using Xunit;

namespace Vae.Core.Tests;

public class VaeRuntimeTests
{
    [Fact]
    public void ThisMachineHasTheLibstdcxxTorchSharpNeeds()
    {
        VaeRuntime.FindNativeProblem(VaeRuntime.RequiredGlibcxx).Should().BeNull();
        var act = VaeRuntime.EnsureNativeLibraryLoadable;
        act.Should().NotThrow();
    }

    [Fact]
    public void AMissingSymbolVersionGivesOneMessageThatSaysWhatToDo()
    {
        if (!OperatingSystem.IsLinux()) return; // the check only applies on Linux
        var problem = VaeRuntime.FindNativeProblem("GLIBCXX_99.0.0");
        problem.Should().NotBeNull();
        problem.Should().Contain("GLIBCXX_99.0.0").And.Contain("libstdc++").And.Contain(".ci/install-libstdcxx");
    }

    [Fact]
    public void CpuThreadsCanBeSetAndRead()
    {
        var original = VaeRuntime.CpuThreads;
        try
        {
            VaeRuntime.SetCpuThreads(1);
            VaeRuntime.CpuThreads.Should().Be(1);
        }
        finally
        {
            VaeRuntime.SetCpuThreads(original);
        }
        var act = () => VaeRuntime.SetCpuThreads(0);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
