namespace Vae.Core;

/// <summary>
/// Registers likelihoods and priors of your own under the names their <see cref="DataLikelihood.Name"/> and
/// <see cref="LatentPrior.Name"/> give, so that a model using them can be saved and loaded.
/// </summary>
public static class VaeDistributions
{
    /// <summary>Registers (or replaces) the factory of the likelihood called <paramref name="name"/>; loading a model file that names it calls the factory with the file's options.</summary>
    /// <param name="name">The likelihood's <see cref="DataLikelihood.Name"/>; not a built-in likelihood's.</param>
    /// <param name="factory">Creates the likelihood for a model's options.</param>
    /// <exception cref="ArgumentException">The name is empty, too long or a built-in likelihood's.</exception>
    public static void RegisterLikelihood(string name, Func<VaeOptions, DataLikelihood> factory) => DistributionRegistry.RegisterLikelihood(name, factory);

    /// <summary>Registers (or replaces) the factory of the prior called <paramref name="name"/>; loading a model file that names it calls the factory with the file's options.</summary>
    /// <param name="name">The prior's <see cref="LatentPrior.Name"/>; not a built-in prior's.</param>
    /// <param name="factory">Creates the prior (with fresh parameters, which loading overwrites) for a model's options.</param>
    /// <exception cref="ArgumentException">The name is empty, too long or a built-in prior's.</exception>
    public static void RegisterPrior(string name, Func<VaeOptions, LatentPrior> factory) => DistributionRegistry.RegisterPrior(name, factory);
}
