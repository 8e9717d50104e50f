namespace Vae.Core;

/// <summary>
/// The state-dict names and shapes a <see cref="VariationalAutoencoder"/> of given options has, computed without
/// building it: a file's tensor table is compared with them before any memory is allocated for the model, so a file
/// whose architecture claims far more parameters than it holds is refused instead of exhausting memory.
/// </summary>
/// <remarks>Mirrors the layers of <see cref="Encoder"/> and <see cref="Decoder"/>; a test compares both for every kind of architecture.</remarks>
internal static class ExpectedParameters
{
    private const long KernelSize = 4;

    /// <summary>
    /// The parameters in the order of the model's state dict; the options must be valid and describe a built-in
    /// architecture (a <see cref="VaeArchitecture.Custom"/> model's are known only to its modules).
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Of(VaeOptions options)
    {
        if (options.Architecture == VaeArchitecture.Custom)
            throw new ArgumentException("A custom model's parameters are those of its own modules.", nameof(options));
        var parameters = new List<(string, long[])>();
        long width = options.InputSize;
        if (options.Architecture == VaeArchitecture.Convolutional)
        {
            long channels = options.ImageChannels;
            for (var i = 0; i < options.ConvChannels.Count; i++)
            {
                // A convolution's weight is [out, in, kh, kw].
                AddKernel(parameters, $"encoder.convolutions.conv{i + 1}", options.ConvChannels[i], channels, options.ConvChannels[i]);
                channels = options.ConvChannels[i];
            }
            var (height, mapWidth) = options.FeatureMapSizes()[^1];
            width = channels * height * mapWidth + options.ConditionWidth;
        }
        else
        {
            width = options.RowWidth;
        }
        for (var i = 0; i < options.HiddenSizes.Count; i++)
        {
            AddLinear(parameters, $"encoder.hidden.fc{i + 1}", width, options.HiddenSizes[i]);
            if (options.LayerNormalization) AddNorm(parameters, $"encoder.hidden.norm{i + 1}", options.HiddenSizes[i]);
            width = options.HiddenSizes[i];
        }
        AddLinear(parameters, "encoder.mean", width, options.LatentSize);
        AddLinear(parameters, "encoder.logVar", width, options.LatentSize);

        // A module's own parameters come before its submodules' in the state dict.
        if (DistributionRegistry.Likelihood(options).LearnsParameter)
            parameters.Add(("decoder.logVariance", [options.InputSize]));
        width = options.LatentSize + options.ConditionWidth;
        var index = 1;
        foreach (var size in options.HiddenSizes.Reverse())
        {
            AddLinear(parameters, $"decoder.layers.fc{index}", width, size);
            if (options.LayerNormalization) AddNorm(parameters, $"decoder.layers.norm{index}", size);
            index++;
            width = size;
        }
        if (options.Architecture == VaeArchitecture.Convolutional)
        {
            var maps = options.FeatureMapSizes();
            var channels = options.ConvChannels;
            AddLinear(parameters, $"decoder.layers.fc{index}", width, (long)channels[^1] * maps[^1].Height * maps[^1].Width);
            for (var i = channels.Count - 1; i >= 0; i--)
            {
                long outputChannels = i > 0 ? channels[i - 1] : options.ImageChannels;
                // A transposed convolution's weight is [in, out, kh, kw].
                AddKernel(parameters, $"decoder.deconvolutions.deconv{channels.Count - i}", channels[i], outputChannels, outputChannels);
            }
        }
        else
        {
            AddLinear(parameters, $"decoder.layers.fc{index}", width, options.InputSize);
        }
        parameters.AddRange(DistributionRegistry.PriorParameters(options));
        return parameters;
    }

    /// <summary>The number of elements of a shape, or null when it does not fit in 64 bits.</summary>
    public static long? ElementCount(long[] shape)
    {
        long count = 1;
        foreach (var size in shape)
        {
            if (size < 0) return null;
            try
            {
                count = checked(count * size);
            }
            catch (OverflowException)
            {
                return null;
            }
        }
        return count;
    }

    private static void AddLinear(List<(string, long[])> parameters, string name, long inputs, long outputs)
    {
        parameters.Add(($"{name}.weight", [outputs, inputs]));
        parameters.Add(($"{name}.bias", [outputs]));
    }

    private static void AddNorm(List<(string, long[])> parameters, string name, long features)
    {
        parameters.Add(($"{name}.weight", [features]));
        parameters.Add(($"{name}.bias", [features]));
    }

    private static void AddKernel(List<(string, long[])> parameters, string name, long first, long second, long biasSize)
    {
        parameters.Add(($"{name}.weight", [first, second, KernelSize, KernelSize]));
        parameters.Add(($"{name}.bias", [biasSize]));
    }
}
