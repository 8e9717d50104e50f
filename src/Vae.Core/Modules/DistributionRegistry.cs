using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace Vae.Core;

/// <summary>
/// The one place that maps <see cref="VaeOptions.Likelihood"/> and <see cref="VaeOptions.Prior"/> to their types, and
/// the names of likelihoods and priors of the caller's own to their factories, which loading a model file needs.
/// </summary>
internal static class DistributionRegistry
{
    /// <summary>The attachment under which a model file records the names of its likelihood and prior when one is not built in.</summary>
    internal const string AttachmentName = "vae.distributions";

    private static readonly ConcurrentDictionary<string, Func<VaeOptions, DataLikelihood>> Likelihoods = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Func<VaeOptions, LatentPrior>> Priors = new(StringComparer.Ordinal);

    /// <summary>The built-in likelihood <paramref name="options"/> names.</summary>
    internal static DataLikelihood Likelihood(VaeOptions options) => options.Likelihood switch
    {
        VaeLikelihood.Bernoulli => BernoulliLikelihood.Instance,
        VaeLikelihood.Gaussian => new GaussianLikelihood(options.GaussianVariance, options.LearnGaussianVariance),
        VaeLikelihood.ContinuousBernoulli => ContinuousBernoulliLikelihood.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Likelihood, $"Not a {nameof(VaeLikelihood)}."),
    };

    /// <summary>The built-in likelihood of a <see cref="VaeOutput.Likelihood"/>, null for a value that is not one; its log-density takes the output's parameter.</summary>
    internal static DataLikelihood? Likelihood(VaeLikelihood likelihood) => likelihood switch
    {
        VaeLikelihood.Bernoulli => BernoulliLikelihood.Instance,
        VaeLikelihood.Gaussian => new GaussianLikelihood(1.0, learned: false),
        VaeLikelihood.ContinuousBernoulli => ContinuousBernoulliLikelihood.Instance,
        _ => null,
    };

    /// <summary>The built-in prior <paramref name="options"/> names, a VampPrior on the model's built-in encoder.</summary>
    internal static LatentPrior Prior(VaeOptions options, nn.Module<Tensor, (Tensor Mean, Tensor LogVariance)> encoder) => options.Prior switch
    {
        VaePrior.Standard => new StandardNormalPrior(options.LatentSize),
        VaePrior.Vamp => new VampPriorDistribution(new VampPrior(options), (Encoder)encoder),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Prior, $"Not a {nameof(VaePrior)}."),
    };

    /// <summary>The combinations of options the built-in prior refuses (checked by <see cref="VaeOptions.Validate"/>, before any tensor exists).</summary>
    internal static void ValidatePrior(VaeOptions options)
    {
        if (options.Prior != VaePrior.Vamp) return;
        if (options.ConditionClasses > 0 || options.ConditionSize > 0)
            throw new ArgumentException($"A {nameof(VaePrior.Vamp)} prior cannot be combined with a condition: its pseudo-inputs carry none.", nameof(VaeOptions.Prior));
        if (options.Architecture == VaeArchitecture.Custom)
            throw new ArgumentException(
                $"A {nameof(VaePrior.Vamp)} prior needs the built-in encoder for its pseudo-inputs; a model with its own encoder takes the standard prior.",
                nameof(VaeOptions.Prior));
    }

    /// <summary>How <see cref="VaeOptions.ToString"/> names the prior: empty for the standard one.</summary>
    internal static string DescribePrior(VaeOptions options) =>
        options.Prior == VaePrior.Vamp ? $" with a VampPrior of {options.PseudoInputs}" : "";

    /// <summary>The state-dict names and shapes of the built-in prior's parameters.</summary>
    internal static IEnumerable<(string Name, long[] Shape)> PriorParameters(VaeOptions options) =>
        options.Prior == VaePrior.Vamp ? [("prior.pseudoInputs", [options.PseudoInputs, options.InputSize])] : [];

    internal static void RegisterLikelihood(string name, Func<VaeOptions, DataLikelihood> factory)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (Enum.GetNames<VaeLikelihood>().Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"'{name}' is a built-in likelihood; choose another name.", nameof(name));
        Likelihoods[name] = factory;
    }

    internal static void RegisterPrior(string name, Func<VaeOptions, LatentPrior> factory)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (Enum.GetNames<VaePrior>().Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"'{name}' is a built-in prior; choose another name.", nameof(name));
        Priors[name] = factory;
    }

    /// <summary>Forgets a registered name (for tests of files that name an unknown distribution).</summary>
    internal static void Unregister(string name)
    {
        Likelihoods.TryRemove(name, out _);
        Priors.TryRemove(name, out _);
    }

    internal static bool IsLikelihoodRegistered(string name) => Likelihoods.ContainsKey(name);

    internal static bool IsPriorRegistered(string name) => Priors.ContainsKey(name);

    internal static DataLikelihood? CreateLikelihood(string name, VaeOptions options) =>
        Likelihoods.TryGetValue(name, out var factory) ? factory(options) ?? throw new InvalidOperationException($"The factory registered for the likelihood '{name}' returned null.") : null;

    internal static LatentPrior? CreatePrior(string name, VaeOptions options) =>
        Priors.TryGetValue(name, out var factory) ? factory(options) ?? throw new InvalidOperationException($"The factory registered for the prior '{name}' returned null.") : null;

    /// <summary>What to call to make <paramref name="name"/> loadable.</summary>
    internal static string HowToRegisterLikelihood(string name) =>
        $"register it before saving and loading with {nameof(VaeDistributions)}.{nameof(VaeDistributions.RegisterLikelihood)}(\"{name}\", options => new YourLikelihood(...))";

    /// <summary>What to call to make <paramref name="name"/> loadable.</summary>
    internal static string HowToRegisterPrior(string name) =>
        $"register it before saving and loading with {nameof(VaeDistributions)}.{nameof(VaeDistributions.RegisterPrior)}(\"{name}\", options => new YourPrior(...))";

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > 128) throw new ArgumentException($"A distribution's name has at most 128 characters, but '{name}' has {name.Length}.", nameof(name));
    }
}
