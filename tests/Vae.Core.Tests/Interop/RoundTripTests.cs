using Vae.Core.Tests.Data;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Interop;

/// <summary>Every kind of model the library saves in a format loads back from it with the same tensors.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<VaeOptions> Architectures => ModelFileLimitsTests.Architectures;

    private static void SameTensors(VariationalAutoencoder expected, VariationalAutoencoder actual, string format)
    {
        var want = expected.state_dict();
        var got = actual.state_dict();
        got.Keys.Should().BeEquivalentTo(want.Keys, format);
        foreach (var (name, tensor) in want)
            got[name].allclose(tensor, rtol: 0, atol: 0).Should().BeTrue($"{format}: tensor '{name}' comes back unchanged");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void AModelRoundTripsThroughEveryFormatThatAcceptsIt(VaeOptions options)
    {
        using var folder = new TempFolder();
        using var model = new VariationalAutoencoder(options);

        var vae = folder.File("model.vae");
        model.Save(vae);
        using (var loaded = VariationalAutoencoder.Load(vae))
        {
            loaded.Options.Should().Be(options);
            SameTensors(model, loaded, ".vae");
        }

        var shapesTellAll = options.Architecture == VaeArchitecture.Mlp && options.ConditionWidth == 0;
        foreach (var layout in Enum.GetValues<PyTorchLayout>())
        {
            foreach (var extension in new[] { ".pt", ".safetensors" })
            {
                var path = folder.File($"model-{layout}{extension}");
                var export = () => PyTorchInterop.Export(model, path, layout);
                if (layout != PyTorchLayout.Vae && (options.Architecture != VaeArchitecture.Mlp || options.HiddenSizes.Count != 1
                    || options.ConditionWidth > 0 || options.Prior != VaePrior.Standard || options.LayerNormalization
                    || options.Likelihood == VaeLikelihood.Gaussian && options.LearnGaussianVariance))
                {
                    export.Should().Throw<ArgumentException>().WithMessage($"*{layout} layout describes*Use the Vae layout*");
                    continue;
                }
                export();
                var import = new PyTorchImportOptions { Layout = layout, Likelihood = options.Likelihood, GaussianVariance = options.GaussianVariance };
                var recorded = layout == PyTorchLayout.Vae && extension == ".safetensors";
                if (recorded)
                {
                    using var exact = PyTorchInterop.Import(path);
                    exact.Options.Should().Be(options, "a Vae-layout safetensors file records the options");
                    SameTensors(model, exact, "Vae.safetensors without options");
                }
                if (!shapesTellAll && !recorded)
                {
                    var guess = () => PyTorchInterop.Import(path, import);
                    guess.Should().Throw<InvalidDataException>().WithMessage($"*{path}*pass PyTorchImportOptions.Architecture*");
                    import = import with { Architecture = options };
                }
                using var loaded = PyTorchInterop.Import(path, import);
                SameTensors(model, loaded, $"{layout}{extension}");
                if (shapesTellAll)
                {
                    loaded.Options.InputSize.Should().Be(options.InputSize);
                    loaded.Options.HiddenSizes.Should().Equal(options.HiddenSizes);
                    loaded.Options.LatentSize.Should().Be(options.LatentSize);
                    loaded.Options.LayerNormalization.Should().Be(options.LayerNormalization);
                    loaded.Options.Prior.Should().Be(options.Prior);
                    loaded.Options.PseudoInputs.Should().Be(options.PseudoInputs);
                    loaded.Options.LearnGaussianVariance.Should().Be(options.LearnGaussianVariance);
                }
            }
        }
    }
}
