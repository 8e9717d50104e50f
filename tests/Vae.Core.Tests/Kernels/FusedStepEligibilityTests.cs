using System.Reflection;
using FluentAssertions;
using TorchSharp;
using Vae.Core;
using Vae.Core.Kernels;
using Xunit;
using static TorchSharp.torch;
using static Vae.Core.Tests.SyntheticData;

namespace Vae.Core.Tests;

/// <summary>
/// Which training setups take the fused step: every option of <see cref="VaeOptions"/> and
/// <see cref="VaeTrainerOptions"/> is classified here, and every combination of the values the step implements, alone
/// and with any one value it does not, either trains on it with autograd's gradients or is reported ineligible. A new option (an activation, dropout, a
/// likelihood) fails <see cref="EveryOptionIsClassified"/> until it is listed, and once listed the walk holds the step
/// to it.
/// </summary>
public sealed class FusedStepEligibilityTests
{
    private enum Role
    {
        // The step implements the listed values (each must train on it somewhere in the walk).
        CoveredByTheFusedStep,
        // The first value is the one the step implements; the others must make it ineligible wherever they appear.
        MakesItIneligible,
        // The step never sees the option: any value leaves eligibility and gradients as they are.
        Irrelevant,
    }

    private sealed record Classification(Role Role, object?[] Implemented, object?[] Ineligible)
    {
        public IEnumerable<object?> Values => Implemented.Concat(Ineligible);
    }

    private static Classification Covered(params object?[] values) => new(Role.CoveredByTheFusedStep, values, []);

    private static Classification MakesIneligible(object? implemented, params object?[] others) => new(Role.MakesItIneligible, [implemented], others);

    private static Classification Irrelevant(params object?[] values) => new(Role.Irrelevant, values, []);

    // The first value of each is the base the walk starts from. Sizes are few here: FusedMlpStepTests tries many.
    private static readonly Dictionary<string, Classification> ArchitectureOptions = new()
    {
        [nameof(VaeOptions.InputSize)] = Covered(16),
        [nameof(VaeOptions.HiddenSizes)] = Covered(new[] { 12, 7 }, Array.Empty<int>()),
        [nameof(VaeOptions.LatentSize)] = Covered(3),
        // The MLP and the built-in convolutional networks each have their fused step. A custom model here is made of
        // the built-in MLP's own modules: even those are left to autograd.
        [nameof(VaeOptions.Architecture)] = new(Role.CoveredByTheFusedStep, [VaeArchitecture.Mlp, VaeArchitecture.Convolutional], [VaeArchitecture.Custom]),
        // Read by convolutional models only; the image must hold InputSize values, so one shape here (FusedConvStepTests
        // tries odd sizes and channel counts), and one or two convolutions.
        [nameof(VaeOptions.ImageChannels)] = Covered(1),
        [nameof(VaeOptions.ImageHeight)] = Covered(4),
        [nameof(VaeOptions.ImageWidth)] = Covered(4),
        [nameof(VaeOptions.ConvChannels)] = Covered(new[] { 3 }, new[] { 2, 5 }),
        // The kernels implement the two likelihoods with closed-form gradients; the others train through autograd.
        [nameof(VaeOptions.Likelihood)] = new(Role.CoveredByTheFusedStep, [VaeLikelihood.Bernoulli, VaeLikelihood.Gaussian], [VaeLikelihood.ContinuousBernoulli]),
        [nameof(VaeOptions.GaussianVariance)] = Covered(1.0, 0.3),
        [nameof(VaeOptions.LearnGaussianVariance)] = Covered(false, true),
        // A conditional model's first layers are wider than the kernels' data: they leave it to autograd.
        [nameof(VaeOptions.ConditionClasses)] = MakesIneligible(0, 3),
        [nameof(VaeOptions.ConditionSize)] = MakesIneligible(0, 2),
        [nameof(VaeOptions.Prior)] = MakesIneligible(VaePrior.Standard, VaePrior.Vamp),
        // Read by the VampPrior only, which the step does not train.
        [nameof(VaeOptions.PseudoInputs)] = Irrelevant(500, 7),
        [nameof(VaeOptions.Activation)] = MakesIneligible(VaeActivation.ReLU, VaeActivation.LeakyReLU, VaeActivation.ELU, VaeActivation.GELU, VaeActivation.SiLU, VaeActivation.Tanh),
        [nameof(VaeOptions.InputDropout)] = MakesIneligible(0.0, 0.2),
        [nameof(VaeOptions.HiddenDropout)] = MakesIneligible(0.0, 0.3),
        [nameof(VaeOptions.LayerNormalization)] = MakesIneligible(false, true),
    };

    private static readonly Dictionary<string, Classification> TrainingOptions = new()
    {
        [nameof(VaeTrainerOptions.Epochs)] = Irrelevant(10, 2),
        // The step takes whatever batch it is given.
        [nameof(VaeTrainerOptions.BatchSize)] = Irrelevant(128, 7),
        // The optimizer's, after the step.
        [nameof(VaeTrainerOptions.LearningRate)] = Irrelevant(1e-3, 0.1),
        // The optimizer's (the fused step's Adam is the trainer's FlatAdam), after the step.
        [nameof(VaeTrainerOptions.WeightDecay)] = Irrelevant(0.0, 0.01),
        // The trainer's, after the optimizer's step, over the weights the step wrote into.
        [nameof(VaeTrainerOptions.WeightAverageDecay)] = Irrelevant(null, 0.99),
        // The trainer sets the optimizer's rate between epochs.
        [nameof(VaeTrainerOptions.LearningRateSchedule)] = Irrelevant(null, new CosineAnnealingSchedule(), new ReduceOnPlateauSchedule()),
        // Run between epochs.
        [nameof(VaeTrainerOptions.Callbacks)] = Irrelevant(Array.Empty<ITrainingCallback>(), new ITrainingCallback[] { new NoCallback() }),
        [nameof(VaeTrainerOptions.Beta)] = Covered(1.0, 0.25),
        [nameof(VaeTrainerOptions.FreeBits)] = MakesIneligible(0.0, 0.5),
        // The trainer turns them into the beta the step is given.
        [nameof(VaeTrainerOptions.KlWarmupEpochs)] = Irrelevant(0, 3),
        [nameof(VaeTrainerOptions.KlWarmupSteps)] = Irrelevant(0L, 5L),
        // Clips the gradients the step wrote.
        [nameof(VaeTrainerOptions.MaxGradientNorm)] = Irrelevant(null, 1.0),
        [nameof(VaeTrainerOptions.Seed)] = Irrelevant(1L, 99L),
        [nameof(VaeTrainerOptions.Device)] = MakesIneligible("cpu", "cuda"),
        [nameof(VaeTrainerOptions.CpuThreads)] = Irrelevant(null, 1),
        // Only how many threads each step runs on, never whether the step is fused.
        [nameof(VaeTrainerOptions.AdaptCpuThreads)] = Irrelevant(true, false),
        [nameof(VaeTrainerOptions.UseFusedCpuKernels)] = MakesIneligible(true, false),
        // Turns the convolutional models' fused step off (the walk covers it); the MLP's step ignores it.
        [nameof(VaeTrainerOptions.UseFusedConvolutionalStep)] = Irrelevant(true, false),
        [nameof(VaeTrainerOptions.EarlyStoppingPatience)] = Irrelevant(0, 2),
        [nameof(VaeTrainerOptions.RestoreBestWeights)] = Irrelevant(true, false),
        [nameof(VaeTrainerOptions.CheckpointPath)] = Irrelevant(null, "checkpoint.vae"),
        [nameof(VaeTrainerOptions.CheckpointEveryEpochs)] = Irrelevant(1, 3),
        [nameof(VaeTrainerOptions.Objective)] = MakesIneligible(VaeObjective.Elbo, VaeObjective.Iwae),
        // Read by the Iwae objective only, which the step does not train.
        [nameof(VaeTrainerOptions.ImportanceSamples)] = Irrelevant(5, 1),
    };

    private sealed class NoCallback : ITrainingCallback
    {
    }

    // The parameters' dtype is no option, but the step depends on it as on one.
    private static readonly Classification DataTypes = MakesIneligible(ScalarType.Float32, ScalarType.Float64);

    // One choice of every option the walk varies, and the dtype.
    private sealed record Combination(VaeOptions Architecture, VaeTrainerOptions Training, ScalarType DataType, bool AllImplemented, string Description);

    [Fact]
    public void EveryOptionIsClassified()
    {
        PublicProperties<VaeOptions>().Should().BeEquivalentTo(ArchitectureOptions.Keys,
            "each option of VaeOptions must be listed as covered by the fused step, making it ineligible, or irrelevant");
        PublicProperties<VaeTrainerOptions>().Should().BeEquivalentTo(TrainingOptions.Keys,
            "each option of VaeTrainerOptions must be listed as covered by the fused step, making it ineligible, or irrelevant");

        // A choice among a few values is listed in full, so that a new likelihood or architecture is classified too.
        foreach (var (type, table) in new[] { (typeof(VaeOptions), ArchitectureOptions), (typeof(VaeTrainerOptions), TrainingOptions) })
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var choices = property.PropertyType.IsEnum ? Enum.GetValues(property.PropertyType).Cast<object>().ToArray()
                : property.PropertyType == typeof(bool) ? [false, true]
                : null;
            if (choices is not null && table[property.Name].Role != Role.Irrelevant)
                table[property.Name].Values.Should().BeEquivalentTo(choices, $"every value of {type.Name}.{property.Name} is classified");
        }
    }

    [Fact]
    public void EveryCombinationTrainsOnTheFusedStepWithAutogradsGradientsOrIsReportedIneligible()
    {
        var eligibleValues = new HashSet<string>();
        var eligible = 0;
        foreach (var combination in Combinations())
        {
            if (Verify(combination))
            {
                eligible++;
                foreach (var part in combination.Description.Split(", ")) eligibleValues.Add(part);
            }
        }

        if (!Sgemm.IsSupported)
        {
            eligible.Should().Be(0, "without AVX-512 or AVX2 with FMA nothing takes the fused step");
            return;
        }
        // Each value the step implements was trained on it at least once, so no part of the walk passed vacuously.
        foreach (var (name, classification) in ArchitectureOptions.Concat(TrainingOptions).Where(o => o.Value.Role != Role.Irrelevant))
        foreach (var value in classification.Implemented)
            eligibleValues.Should().Contain($"{name}={Describe(value)}");
        eligible.Should().BeGreaterThan(0);
    }

    [Fact]
    public void IrrelevantOptionsChangeNeitherEligibilityNorGradients()
    {
        var bases = new[]
        {
            Base(),                                                                          // eligible where the kernels run
            Base() with { Training = Base().Training with { FreeBits = 0.5 }, AllImplemented = false, Description = "base, FreeBits=0.5" },
            Base() with { Architecture = Base().Architecture with { Architecture = VaeArchitecture.Convolutional }, Description = "base, Architecture=Convolutional" },
            Base() with { Architecture = Base().Architecture with { Architecture = VaeArchitecture.Custom }, AllImplemented = false, Description = "base, Architecture=Custom" },
        };
        var verified = 0;
        foreach (var start in bases)
        foreach (var (name, classification) in ArchitectureOptions.Concat(TrainingOptions).Where(o => o.Value.Role == Role.Irrelevant))
        foreach (var value in classification.Values)
        {
            var combination = ArchitectureOptions.ContainsKey(name)
                ? start with { Architecture = With(start.Architecture, name, value) }
                : start with { Training = With(start.Training, name, value) };
            combination = combination with { Description = $"{start.Description}, {name}={Describe(value)}" };
            if (!IsValid(combination)) continue;
            // For a convolutional model this option is the switch itself (TheTrainerTakesTheFusedStepOnlyWhereItApplies checks it).
            if (name == nameof(VaeTrainerOptions.UseFusedConvolutionalStep) && start.Architecture.Architecture == VaeArchitecture.Convolutional) continue;
            Verify(combination);
            verified++;
        }
        verified.Should().BeGreaterThan(bases.Length * 10);
    }

    // The fused importance-weighted kernel implements the same architectures as the step: each combination of the
    // architecture's options decodes on it to libtorch's log p(x|z), or is left to the modules.
    [Fact]
    public void EveryArchitectureGetsTheFusedLikelihoodWithLibtorchsValuesOrIsLeftToTheModules()
    {
        var fused = 0;
        foreach (var combination in Combinations(training: false))
        {
            using var scope = NewDisposeScope();
            manual_seed(11);
            using var model = Build(combination.Architecture);
            model.to(combination.DataType);
            using var kernel = FusedLikelihood.TryCreate(model);
            // The fused likelihood implements the MLP and the built-in convolutional network.
            var implemented = combination.AllImplemented;
            (kernel is not null).Should().Be(Sgemm.IsSupported && implemented, combination.Description);
            if (kernel is null) continue;
            fused++;

            var x = Batch(combination.Architecture);
            using var generator = new Generator(17);
            var z = randn([3, x.shape[0], combination.Architecture.LatentSize], generator: generator);
            var actual = TensorAssert.ToDoubles(kernel.LogLikelihood(z.reshape(-1, z.shape[2]), x, threads: 2));
            using var noGrad = no_grad();
            var decoded = model.Decoder.forward(z.reshape(-1, z.shape[2])).reshape(z.shape[0], z.shape[1], -1);
            var logVariance = model.Decoder.OutputLogVariance(decoded.dtype, decoded.device);
            var expected = TensorAssert.ToDoubles(model.Likelihood.NegativeLogDensity(decoded, logVariance, x.expand_as(decoded)).sum(-1).neg());
            for (var n = 0; n < expected.Length; n++)
                actual[n].Should().BeApproximately(expected[n], 2e-5 * Math.Abs(expected[n]) + 1e-4, $"{combination.Description}, sample {n}");
        }
        (fused > 0).Should().Be(Sgemm.IsSupported);
    }

    // A model that holds a module the step does not implement, here a dropout its options do not describe, must be
    // left to autograd even though its parameters are those the step knows; the same for the fused likelihood.
    [Fact]
    public void AModuleTheStepDoesNotImplementLeavesTheModelToAutograd()
    {
        using var scope = NewDisposeScope();
        var options = Base().Architecture;
        using var model = new VariationalAutoencoder(options);
        using (var adam = new FlatAdam(model.parameters().ToArray(), 1e-3))
        using (var step = FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients))
            (step is not null).Should().Be(Sgemm.IsSupported);

        using (var kernel = FusedLikelihood.TryCreate(model))
            (kernel is not null).Should().Be(Sgemm.IsSupported);

        model.Decoder.register_module("dropout", nn.Dropout(0.5));
        using (var adam = new FlatAdam(model.parameters().ToArray(), 1e-3))
        using (var step = FusedMlpStep.TryCreate(model, new VaeTrainerOptions(), adam.Parameters, adam.Gradients))
            step.Should().BeNull();
        using (var kernel = FusedLikelihood.TryCreate(model))
            kernel.Should().BeNull();
    }

    // Every combination of the values the step implements of the options that change it (and of the dtype), and each
    // of those with one value it does not implement, that the library accepts; the training options at their base
    // values unless asked for. Two values it does not implement at once add nothing (either makes it ineligible) but
    // would multiply the walk by the product of every such option's values.
    private static IEnumerable<Combination> Combinations(bool training = true)
    {
        var axes = ArchitectureOptions.Select(o => (Name: o.Key, Classification: o.Value, Kind: Axis.Architecture))
            .Concat(training ? TrainingOptions.Select(o => (Name: o.Key, Classification: o.Value, Kind: Axis.Training)) : [])
            .Where(o => o.Classification.Role != Role.Irrelevant)
            .Append((Name: "dtype", Classification: DataTypes, Kind: Axis.DataType))
            .ToArray();
        IEnumerable<(object? Value, bool Implemented)[]> implemented = [[]];
        foreach (var axis in axes)
            implemented = implemented.SelectMany(choice => axis.Classification.Implemented.Select(value => choice.Append((value, true)).ToArray()));
        var core = implemented.ToList();
        var withOneOther = core.SelectMany(choice => axes.SelectMany((axis, i) => axis.Classification.Ineligible.Select(value =>
        {
            var changed = choice.ToArray();
            changed[i] = (value, false);
            return changed;
        })));
        return core.Concat(withOneOther).Select(choice =>
        {
            var combination = Base() with { Description = "" };
            for (var i = 0; i < axes.Length; i++)
            {
                var (name, _, kind) = axes[i];
                var (value, isImplemented) = choice[i];
                combination = combination with
                {
                    Architecture = kind == Axis.Architecture ? With(combination.Architecture, name, value) : combination.Architecture,
                    Training = kind == Axis.Training ? With(combination.Training, name, value) : combination.Training,
                    DataType = kind == Axis.DataType ? (ScalarType)value! : combination.DataType,
                    AllImplemented = combination.AllImplemented && isImplemented,
                    Description = $"{combination.Description}{(i > 0 ? ", " : "")}{name}={Describe(value)}",
                };
            }
            return combination;
        }).Where(IsValid);
    }

    private enum Axis
    {
        Architecture,
        Training,
        DataType,
    }

    /// <summary>
    /// The model the options describe; for <see cref="VaeArchitecture.Custom"/> one made of the built-in MLP's modules,
    /// so that only the architecture's name differs.
    /// </summary>
    internal static VariationalAutoencoder Build(VaeOptions options) => options.Architecture == VaeArchitecture.Custom
        ? new VariationalAutoencoder(new Encoder(options with { Architecture = VaeArchitecture.Mlp }), new Decoder(options with { Architecture = VaeArchitecture.Mlp }), options)
        : new VariationalAutoencoder(options);

    // The first value of every option.
    private static Combination Base()
    {
        var architecture = ArchitectureOptions.Aggregate(new VaeOptions(), (options, o) => With(options, o.Key, o.Value.Values.First()));
        var training = TrainingOptions.Aggregate(new VaeTrainerOptions(), (options, o) => With(options, o.Key, o.Value.Values.First()));
        return new Combination(architecture, training, ScalarType.Float32, AllImplemented: true, "base");
    }

    // Check's answer is the one the table predicts, the trainer takes the step exactly when Check allows it, and then
    // the step's loss and gradients are autograd's. Returns whether the combination is eligible.
    private static bool Verify(Combination combination)
    {
        using var scope = NewDisposeScope();
        var device = new Device(combination.Training.Device).type;
        var eligibility = FusedStepPolicy.Check(combination.Architecture, combination.Training, device, combination.DataType);
        eligibility.IsEligible.Should().Be(Sgemm.IsSupported && combination.AllImplemented, $"{combination.Description}: {eligibility}");
        if (device != DeviceType.CPU) return eligibility.IsEligible; // no such device here: Check's answer is all there is

        manual_seed(11);
        using (var model = Build(combination.Architecture))
        {
            model.to(combination.DataType);
            using var trainer = new VaeTrainer(model, combination.Training);
            trainer.UsesFusedCpuKernels.Should().Be(eligibility.IsEligible, combination.Description);
        }
        if (eligibility.IsEligible)
            FusedMlpStepTests.CompareWithAutograd(combination.Architecture, Batch(combination.Architecture), combination.Training.Beta, combination.Training);
        return eligibility.IsEligible;
    }

    // Data in the range of the likelihood.
    private static Tensor Batch(VaeOptions options)
    {
        using var generator = new Generator(13);
        return options.Likelihood switch
        {
            VaeLikelihood.Bernoulli => Binary(19, options.InputSize, seed: 5),
            VaeLikelihood.ContinuousBernoulli => rand([19, options.InputSize], generator: generator),
            VaeLikelihood.Gaussian => randn([19, options.InputSize], generator: generator).mul_(2),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Likelihood, "no test data for this likelihood"),
        };
    }

    private static bool IsValid(Combination combination)
    {
        try
        {
            combination.Architecture.Validate();
            combination.Training.Validate();
            return true;
        }
        catch (ArgumentException)
        {
            return false; // not a setup the library accepts
        }
    }

    private static T With<T>(T options, string name, object? value) where T : class
    {
        // A record's copy, then one init-only property set on it.
        var copy = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(options, null)!;
        typeof(T).GetProperty(name)!.SetValue(copy, value);
        return copy;
    }

    private static string[] PublicProperties<T>() =>
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToArray();

    private static string Describe(object? value) => value switch
    {
        null => "null",
        int[] sizes => $"[{string.Join(' ', sizes)}]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };
}
