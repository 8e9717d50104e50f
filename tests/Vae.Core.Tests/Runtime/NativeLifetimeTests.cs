using Vae.Core.Tests.TestSupport;

namespace Vae.Core.Tests.Runtime;

/// <summary>
/// TorchSharp's <c>Scalar</c> has no dispose scope and is freed by its finalizer; a method that makes one (an implicit
/// conversion such as <c>x * 0.5</c>, or TorchSharp's own <c>add(Tensor)</c>, which passes a new Scalar 1) reads its
/// handle and then calls libtorch with nothing keeping it alive. A collection on another thread during that call lets
/// the finalizer free the scalar while libtorch reads it: the Mult-VAE and IWAE heap corruptions. These tests keep the
/// library's code off every such path.
/// </summary>
public sealed class NativeLifetimeTests
{
    private static readonly string TorchSharpPath = typeof(TorchSharp.torch).Assembly.Location;

    [Fact]
    public void LibraryNeverCallsATorchSharpMethodThatMakesAnUnrootedScalar()
    {
        var hazards = UnrootedScalarMakers();
        var offences = IlCalls.Read(typeof(VariationalAutoencoder).Assembly.Location)
            .Where(m => m.Method.Type is not (ScalarHolders.Scope or ScalarHolders.Constants))
            .SelectMany(m => m.Calls.Where(hazards.Contains).Select(c => $"{m.Method} calls {c}"))
            .Distinct()
            .ToList();
        offences.Should().BeEmpty("each of these passes libtorch a Scalar that only a finalizer frees:\n" + string.Join("\n", offences));
    }

    // The two places allowed to make scalars, because they keep them alive: ScalarScope until its end, Scalars for good.
    private static class ScalarHolders
    {
        public const string Scope = "Vae.Core.ScalarScope";
        public const string Constants = "Vae.Core.Scalars";
    }

    /// <summary>Every TorchSharp method that makes a Scalar, or calls one that does.</summary>
    internal static HashSet<MethodName> UnrootedScalarMakers()
    {
        var methods = IlCalls.Read(TorchSharpPath);
        var hazards = methods.Where(m => m.Calls.Any(IsScalarMaker)).Select(m => m.Method).ToHashSet();
        for (var grown = true; grown;)
        {
            grown = false;
            foreach (var method in methods)
                if (!hazards.Contains(method.Method) && method.Calls.Any(hazards.Contains))
                    grown |= hazards.Add(method.Method);
        }
        foreach (var method in methods.Where(m => IsScalarMaker(m.Method))) hazards.Add(method.Method);
        return hazards;
    }

    private static bool IsScalarMaker(MethodName method) =>
        (method.Type == "TorchSharp.Scalar" && method.Name is "op_Implicit" or ".ctor") ||
        (method.Type == "TorchSharp.ScalarExtensionMethods" && method.Name == "ToScalar");
}
