using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.Samples.Tests;
using static TorchSharp.torch;

namespace Vae.ML.Tests;

public sealed class VaeEncodeTests
{
    private readonly MLContext context = new(seed: 1);

    [Theory]
    [InlineData(false, 7)]
    [InlineData(true, 14)]
    public void TheLatentColumnHoldsThePosteriorMeansThenOptionallyTheLogVariances(bool includeLogVariance, int width)
    {
        var (train, _) = BreastCancer.Split();
        var data = context.Data.LoadFromEnumerable(train);
        using var encoder = context.Transforms.VaeEncode(new VaeEncodeOptions { OutputColumnName = "Latent", IncludeLogVariance = includeLogVariance, Epochs = 20 }).Fit(data);

        var output = encoder.Transform(data);
        output.Schema["Latent"].Type.Should().Be(new VectorDataViewType(NumberDataViewType.Single, width), "30 features give a latent code of 30 / 4 = 7 by default");
        var latent = output.GetColumn<float[]>("Latent").ToArray();

        var values = train.SelectMany(r => r.Features).ToArray();
        VaeFitting.Standardize(values, CancerRow.FeatureCount, encoder.FeatureShift!.ToArray(), encoder.FeatureScale!.ToArray());
        using var features = tensor(values, [train.Length, CancerRow.FeatureCount]);
        var (mean, logVariance) = encoder.Model.Posterior(features);
        using var library = includeLogVariance ? cat([mean, logVariance], 1) : mean.alias();
        var expected = library.data<float>().ToArray();
        mean.Dispose();
        logVariance.Dispose();
        latent.SelectMany(row => row).Should().HaveCount(expected.Length);
        latent.SelectMany(row => row).Zip(expected).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5 * Math.Max(1, Math.Abs(p.Second)));
    }

    [Fact]
    public void ASavedEncoderLoadsAndEncodesTheSame()
    {
        using var folder = new TempFolder();
        var (train, test) = BreastCancer.Split();
        using var encoder = context.Transforms.VaeEncode("Code", "Features").Fit(context.Data.LoadFromEnumerable(train));
        var data = context.Data.LoadFromEnumerable(test);
        context.Model.Save(encoder, data.Schema, folder.File("encoder.zip"));
        var loaded = new MLContext().Model.Load(folder.File("encoder.zip"), out _);
        loaded.Transform(data).GetColumn<float[]>("Code").SelectMany(r => r).Should().Equal(encoder.Transform(data).GetColumn<float[]>("Code").SelectMany(r => r));
    }

    [Fact]
    public void TheOutputColumnMustDifferFromTheInput()
    {
        FluentActions.Invoking(() => context.Transforms.VaeEncode("Features", "Features")).Should().Throw<ArgumentException>();
    }
}
