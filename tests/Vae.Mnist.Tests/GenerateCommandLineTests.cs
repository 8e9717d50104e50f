using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using Vae.Core;
using Vae.Samples.Tests;

namespace Vae.Mnist.Tests;

/// <summary>Training with a condition, an objective and a likelihood from the command line, and drawing digits with <c>generate</c>.</summary>
public sealed class GenerateCommandLineTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string data;

    public GenerateCommandLineTests() => data = TinyMnist.Create(temp.File("data"));

    public void Dispose() => temp.Dispose();

    private SampleProcess.Result Run(params string[] args)
    {
        using var run = SampleProcess.Start("Vae.Mnist", args, temp.Path);
        return run.WaitForExit();
    }

    private SampleProcess.Result Train(params string[] args) =>
        Run([.. args, "--data", data, "--threads", "1", "--json", "--epochs", "1", "--hidden", "16", "--latent", "2"]);

    [Fact]
    public void AConditionalRunDrawsTheDigitAskedForIntoAnIdxFileAndAPicture()
    {
        var trained = Train("--conditional", "--output", "cvae");
        trained.ExitCode.Should().Be(0, trained.ToString());
        File.Exists(Path.Combine(temp.Path, "cvae", "conditional.png")).Should().BeTrue();

        var model = Path.Combine(temp.Path, "cvae", "model.vae");
        var generated = Run("generate", "--model", model, "--digit", "7", "--count", "12", "--idx", "sevens-idx3-ubyte", "--png", "sevens.png", "--seed", "3");
        generated.ExitCode.Should().Be(0, generated.ToString());
        File.Exists(Path.Combine(temp.Path, "sevens.png")).Should().BeTrue();

        var bytes = File.ReadAllBytes(Path.Combine(temp.Path, "sevens-idx3-ubyte"));
        bytes.Length.Should().Be(16 + 12 * 28 * 28);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(0)).Should().Be(0x803);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)).Should().Be(12);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)).Should().Be(28);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12)).Should().Be(28);

        // The pixels are the model's means for the same draw, x 255 and rounded.
        using var loaded = VariationalAutoencoder.Load(model);
        loaded.Options.ConditionClasses.Should().Be(10);
        using var generator = new torch.Generator(3);
        using var means = loaded.Sample(12, 7, generator);
        var expected = means.mul(255).round().to_type(torch.ScalarType.Byte).data<byte>().ToArray();
        bytes.Skip(16).Should().Equal(expected);
    }

    [Fact]
    public void AnUnconditionalModelRefusesADigitAndSamplesItsPriorWithout()
    {
        var trained = Train("--output", "plain");
        trained.ExitCode.Should().Be(0, trained.ToString());
        var model = Path.Combine(temp.Path, "plain", "model.vae");

        var refused = Run("generate", "--model", model, "--digit", "3", "--png", "three.png");
        refused.ExitCode.Should().NotBe(0);
        refused.Error.Should().Contain("unconditional model").And.Contain("--digit 3");
        File.Exists(Path.Combine(temp.Path, "three.png")).Should().BeFalse();

        var sampled = Run("generate", "--model", model, "--count", "5", "--idx", "prior-idx3-ubyte");
        sampled.ExitCode.Should().Be(0, sampled.ToString());
        File.ReadAllBytes(Path.Combine(temp.Path, "prior-idx3-ubyte")).Length.Should().Be(16 + 5 * 28 * 28);
    }

    [Fact]
    public void AConditionalModelNeedsADigit()
    {
        Train("--conditional", "--output", "cvae").ExitCode.Should().Be(0);
        var result = Run("generate", "--model", Path.Combine(temp.Path, "cvae", "model.vae"), "--png", "any.png");
        result.ExitCode.Should().NotBe(0);
        result.Error.Should().Contain("give --digit 0-9");
    }

    [Fact]
    public void TheIwaeObjectiveAndTheContinuousBernoulliLikelihoodTrainFromTheCommandLine()
    {
        var result = Train("--objective", "iwae", "--samples", "3", "--likelihood", "continuous-bernoulli", "--output", "iwae");
        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Output.Trim().Split('\n')[^1]);
        json.RootElement.GetProperty("step").GetString().Should().Be("autograd");
        json.RootElement.GetProperty("architecture").GetString().Should().Contain("continuous Bernoulli");
        File.Exists(Path.Combine(temp.Path, "iwae", "samples.png")).Should().BeTrue();
    }

    [Fact]
    public void AVampPriorRunSavesItsPriorAndSamplesFromIt()
    {
        var result = Train("--prior", "vamp", "--output", "vamp");
        result.ExitCode.Should().Be(0, result.ToString());
        using var model = VariationalAutoencoder.Load(Path.Combine(temp.Path, "vamp", "model.vae"));
        model.Options.Prior.Should().Be(VaePrior.Vamp);
        model.Options.PseudoInputs.Should().Be(500);
        File.Exists(Path.Combine(temp.Path, "vamp", "samples.png")).Should().BeTrue();
    }

    [Theory]
    [InlineData("--objective", "vae", "--objective must be elbo or iwae")]
    [InlineData("--samples", "0", "--samples must be at least 1")]
    [InlineData("--likelihood", "poisson", "--likelihood must be bernoulli, continuous-bernoulli or gaussian")]
    [InlineData("--prior", "flow", "--prior must be standard or vamp")]
    public void BadChoicesAreNamed(string option, string value, string message)
    {
        var result = Train(option, value, "--output", "bad");
        result.ExitCode.Should().NotBe(0);
        result.Error.Should().Contain(message);
    }
}
