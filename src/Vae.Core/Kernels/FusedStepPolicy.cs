using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.Core.Kernels;

/// <summary>
/// What the fused CPU kernels implement (<see cref="FusedMlpStep"/>, <see cref="FusedConvStep"/>,
/// <see cref="FusedLikelihood"/>): the eligibility walk over the options and the check that a model holds nothing the
/// kernels would ignore. The kernels themselves do not decide; they are created only for what passes here.
/// </summary>
internal static class FusedStepPolicy
{
    /// <summary>
    /// Whether the step implements training a model of <paramref name="architecture"/> with <paramref name="options"/>
    /// whose parameters are <paramref name="dtype"/> on <paramref name="device"/> on this processor, and if not, why.
    /// </summary>
    /// <remarks>
    /// An allow-list of what the fused steps implement (<see cref="FusedMlpStep"/> and <see cref="FusedConvStep"/>): an MLP of fully
    /// connected layers, or the built-in convolutional networks, with ReLU (no dropout, no layer normalization, not the
    /// caller's own networks), any sizes, the likelihoods that hand out a <see cref="FusedOutput"/>, the plain KL term with any beta. Every option of <see cref="VaeOptions"/> and
    /// <see cref="VaeTrainerOptions"/> is classified by FusedStepEligibilityTests as covered here, making the step
    /// ineligible, or irrelevant to it, so a new option cannot be trained through the step before it is classified.
    /// </remarks>
    internal static FusedStepEligibility Check(VaeOptions architecture, VaeTrainerOptions options, DeviceType device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.UseFusedCpuKernels)
            return FusedStepEligibility.Ineligible($"{nameof(VaeTrainerOptions.UseFusedCpuKernels)} is false");
        if (!Sgemm.IsSupported)
            return FusedStepEligibility.Ineligible("the processor has neither AVX-512 nor AVX2 with FMA");
        if (device != DeviceType.CPU)
            return FusedStepEligibility.Ineligible($"the parameters are on {device}, not the CPU");
        if (dtype != ScalarType.Float32)
            return FusedStepEligibility.Ineligible($"the parameters are {dtype}, not float32");
        var network = CheckNetwork(architecture, convolutional: true);
        if (!network.IsEligible) return network;
        if (options.Objective != VaeObjective.Elbo)
            return FusedStepEligibility.Ineligible($"the objective is {options.Objective}: the step implements the ELBO only");
        if (options.FreeBits != 0)
            return FusedStepEligibility.Ineligible($"{nameof(VaeTrainerOptions.FreeBits)} is {options.FreeBits}: the step implements the plain KL term");
        return FusedStepEligibility.Eligible;
    }

    /// <summary>
    /// Whether the kernels implement the networks <paramref name="architecture"/> describes (what the step and
    /// <see cref="FusedLikelihood"/> share): an unconditional MLP with ReLU, without dropout or layer normalization, with
    /// a likelihood that hands out a <see cref="FusedOutput"/> and the standard normal prior.
    /// </summary>
    /// <param name="architecture">The model's options.</param>
    /// <param name="convolutional">
    /// Whether the convolutional architecture is implemented too (by <see cref="FusedConvStep"/> for training and by
    /// <see cref="FusedLikelihood"/>'s convolutional decoder).
    /// </param>
    internal static FusedStepEligibility CheckNetwork(VaeOptions architecture, bool convolutional = false)
    {
        if (architecture.Architecture != VaeArchitecture.Mlp && !(convolutional && architecture.Architecture == VaeArchitecture.Convolutional))
            return FusedStepEligibility.Ineligible($"the architecture is {architecture.Architecture}: the kernels implement {(convolutional ? "an MLP and the built-in convolutional networks" : "an MLP")} only");
        if (DistributionRegistry.Likelihood(architecture).Fused is null)
            return FusedStepEligibility.Ineligible($"the step does not implement the {architecture.Likelihood} likelihood");
        if (architecture.Activation != VaeActivation.ReLU)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.Activation)} is {architecture.Activation}: the step implements ReLU only");
        if (architecture.InputDropout != 0)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.InputDropout)} is {architecture.InputDropout}: the step implements no dropout");
        if (architecture.HiddenDropout != 0)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.HiddenDropout)} is {architecture.HiddenDropout}: the step implements no dropout");
        if (architecture.LayerNormalization)
            return FusedStepEligibility.Ineligible($"{nameof(VaeOptions.LayerNormalization)} is on: the step implements no layer normalization");
        if (architecture.Prior != VaePrior.Standard)
            return FusedStepEligibility.Ineligible($"the prior is {architecture.Prior}: the step implements the closed-form KL of N(0, I) only");
        if (architecture.ConditionWidth != 0)
            return FusedStepEligibility.Ineligible("the model is conditional: the step implements an unconditional MLP only");
        return FusedStepEligibility.Eligible;
    }

    /// <summary>
    /// Whether the model is made of nothing but the fully connected layers the fused kernels read, ReLUs, and the
    /// containers that hold them: a module its options do not describe, such as a dropout, leaves the kernels out
    /// rather than ignored.
    /// </summary>
    internal static bool IsReluMlp(VariationalAutoencoder model)
    {
        var encoder = model.Encoder;
        var decoder = model.Decoder;
        var layers = encoder.HiddenLayers.Cast<object>().Append(encoder.MeanHead).Append(encoder.LogVarianceHead).Concat(decoder.FullyConnectedLayers);
        return IsMadeOf(model, layers, relus: encoder.HiddenLayers.Count + decoder.FullyConnectedLayers.Count - 1);
    }

    /// <summary>
    /// Whether the model is made of nothing but the convolutions, transposed convolutions and fully connected layers
    /// <see cref="FusedConvStep"/> reads, ReLUs, and the containers that hold them.
    /// </summary>
    internal static bool IsReluConvolutional(VariationalAutoencoder model)
    {
        var encoder = model.Encoder;
        var decoder = model.Decoder;
        var layers = encoder.HiddenLayers.Cast<object>().Append(encoder.MeanHead).Append(encoder.LogVarianceHead)
            .Concat(decoder.FullyConnectedLayers).Concat(encoder.Convolutions).Concat(decoder.Deconvolutions);
        // The encoder's convolutions and hidden layers, and every fully connected layer of the decoder, end in a ReLU.
        return IsMadeOf(model, layers, relus: encoder.Convolutions.Count + encoder.HiddenLayers.Count + decoder.FullyConnectedLayers.Count);
    }

    // Every module is one of the layers given (with a bias), a ReLU or a container, every layer given is there, and
    // the ReLUs number what the kernels apply.
    private static bool IsMadeOf(VariationalAutoencoder model, IEnumerable<object> layers, int relus)
    {
        var known = layers.ToHashSet(ReferenceEqualityComparer.Instance);
        var found = 0;
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case Linear linear when linear.bias is not null && known.Remove(linear):
                case Conv2d conv when conv.bias is not null && known.Remove(conv):
                case ConvTranspose2d deconv when deconv.bias is not null && known.Remove(deconv):
                    break;
                case ReLU:
                    found++;
                    break;
                case VariationalAutoencoder or Encoder or Decoder or Sequential:
                    break;
                default:
                    return false;
            }
        }
        return known.Count == 0 && found == relus;
    }
}
