using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Vae.Samples.Tests;

namespace Vae.Core.Tests;

/// <summary>The built-in networks' activation, dropout and layer normalization choices.</summary>
public sealed class NetworkChoicesTests
{
    private static readonly VaeOptions Small = new() { InputSize = 6, HiddenSizes = [5], LatentSize = 2 };

    public static TheoryData<VaeActivation> AllActivations => new(Enum.GetValues<VaeActivation>());

    // The reference of each activation, from its definition rather than from the library's table.
    private static Tensor Reference(VaeActivation activation, Tensor x) => activation switch
    {
        VaeActivation.ReLU => x.clamp_min(0),
        VaeActivation.LeakyReLU => where(x > 0, x, x * 0.01),
        VaeActivation.ELU => where(x > 0, x, x.exp() - 1),
        VaeActivation.GELU => x * 0.5 * (1 + special.erf(x / Math.Sqrt(2))),
        VaeActivation.SiLU => x * x.sigmoid(),
        VaeActivation.Tanh => x.tanh(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void EachActivationIsTheOneBetweenTheLayers(VaeActivation activation)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var options = Small with { Activation = activation, LayerNormalization = true };
        using var model = new VariationalAutoencoder(options);
        var w = model.state_dict();
        var x = randn([4, 6], generator: new Generator(1));

        var h = x.matmul(w["encoder.hidden.fc1.weight"].t()) + w["encoder.hidden.fc1.bias"];
        h = functional.layer_norm(h, [5], w["encoder.hidden.norm1.weight"], w["encoder.hidden.norm1.bias"]);
        var mean = Reference(activation, h).matmul(w["encoder.mean.weight"].t()) + w["encoder.mean.bias"];
        model.Encode(x).allclose(mean, rtol: 1e-5, atol: 1e-6).Should().BeTrue(activation.ToString());

        var z = randn([4, 2], generator: new Generator(2));
        var d = z.matmul(w["decoder.layers.fc1.weight"].t()) + w["decoder.layers.fc1.bias"];
        d = functional.layer_norm(d, [5], w["decoder.layers.norm1.weight"], w["decoder.layers.norm1.bias"]);
        var logits = Reference(activation, d).matmul(w["decoder.layers.fc2.weight"].t()) + w["decoder.layers.fc2.bias"];
        model.Decode(z).allclose(logits.sigmoid(), rtol: 1e-5, atol: 1e-6).Should().BeTrue(activation.ToString());
    }

    [Fact]
    public void TheDefaultsBuildTodaysNetworksWithTodaysNames()
    {
        using var model = new VariationalAutoencoder(new VaeOptions());
        model.state_dict().Keys.Should().Equal(
            "encoder.hidden.fc1.weight", "encoder.hidden.fc1.bias", "encoder.mean.weight", "encoder.mean.bias",
            "encoder.logVar.weight", "encoder.logVar.bias",
            "decoder.layers.fc1.weight", "decoder.layers.fc1.bias", "decoder.layers.fc2.weight", "decoder.layers.fc2.bias");
        model.modules().Count(m => m is TorchSharp.Modules.ReLU).Should().Be(2);
        model.modules().Should().NotContain(m => m is TorchSharp.Modules.Dropout || m is TorchSharp.Modules.LayerNorm);
    }

    [Fact]
    public void DropoutActsInTrainingOnlyAndAddsNoParameters()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = new VariationalAutoencoder(Small with { InputDropout = 0.3, HiddenDropout = 0.5 });
        using var plain = new VariationalAutoencoder(Small);
        model.state_dict().Keys.Should().Equal(plain.state_dict().Keys, "dropout has no parameters");
        plain.load_state_dict(model.state_dict());
        var x = randn([64, 6], generator: new Generator(1));

        model.train();
        TensorAssert.Identical(model.forward(x).Mean, model.forward(x).Mean).Should().BeFalse("training drops units at random");
        TensorAssert.Identical(model.Encode(x), model.Encode(x)).Should().BeTrue("inference never drops units, whatever the mode");
        model.eval();
        plain.eval();
        TensorAssert.Identical(model.Encode(x), plain.Encode(x)).Should().BeTrue("evaluation keeps every unit");
    }

    [Fact]
    public void ModelsWithEveryChoiceSaveAndLoad()
    {
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        var path = folder.File("choices.vae");
        manual_seed(5);
        var options = new VaeOptions
        {
            InputSize = 12, HiddenSizes = [8, 6], LatentSize = 3, Activation = VaeActivation.SiLU,
            InputDropout = 0.1, HiddenDropout = 0.2, LayerNormalization = true,
        };
        using var saved = new VariationalAutoencoder(options);
        saved.Save(path);
        using var loaded = VariationalAutoencoder.Load(path);
        loaded.Options.Should().Be(options);
        saved.eval();
        var x = rand([3, 12], generator: new Generator(6));
        TensorAssert.Identical(loaded.Reconstruct(x), saved.Reconstruct(x)).Should().BeTrue();
        options.ToString().Should().Be("12-8-6-3 (SiLU, layer norm, input dropout 0.1, hidden dropout 0.2)");
    }

    [Theory]
    [InlineData(nameof(VaeOptions.InputDropout), 1.0)]
    [InlineData(nameof(VaeOptions.HiddenDropout), -0.1)]
    [InlineData(nameof(VaeOptions.HiddenDropout), double.NaN)]
    public void DropoutOutsideZeroToOneIsRefused(string name, double value)
    {
        var options = name == nameof(VaeOptions.InputDropout) ? Small with { InputDropout = value } : Small with { HiddenDropout = value };
        var validate = () => options.Validate();
        validate.Should().Throw<ArgumentException>().Where(e => e.ParamName == name && e.Message.Contains("[0, 1)"));
    }

    [Fact]
    public void AnUnknownActivationIsRefused()
    {
        var validate = () => (Small with { Activation = (VaeActivation)42 }).Validate();
        validate.Should().Throw<ArgumentException>().WithMessage("*Activation 42*");
    }
}
