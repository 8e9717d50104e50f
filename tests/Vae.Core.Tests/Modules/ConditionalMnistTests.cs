using TorchSharp;
using Vae.Core.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vae.Core.Tests;

/// <summary>A conditional VAE on the shipped digits draws the digit it is asked for.</summary>
/// <remarks>
/// With a 2-dimensional code the prior is well covered after ten epochs on 8,000 digits. With the default 20 dimensions
/// the same run draws many codes from regions of N(0, I) the posteriors left empty, and the classifier then recognises
/// only about 40% of the samples (59% after 30 epochs), although it recognises 97% of the reconstructions.
/// </remarks>
public class ConditionalMnistTests(ITestOutputHelper output)
{
    [Fact]
    public void AClassifierRecognisesAtLeastNinetyPercentOfGeneratedDigitsAsTheDigitAskedFor()
    {
        using var scope = NewDisposeScope();
        using var train = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Train);
        using var test = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);
        using var classifier = DigitClassifier.Train(train.Images, train.Labels);
        var onRealDigits = Accuracy(classifier.Classify(test.Images), test.Labels.data<long>().ToArray());
        output.WriteLine($"classifier on the 2,000 real test digits: {onRealDigits:P1}");
        onRealDigits.Should().BeGreaterThan(0.93, "the judge itself must read real digits");

        manual_seed(1);
        using var model = new VariationalAutoencoder(new VaeOptions { ConditionClasses = MnistDataset.ClassCount, LatentSize = 2 });
        using (var trainer = new VaeTrainer(model, new VaeTrainerOptions { Epochs = 10, Seed = 1 }))
            trainer.Fit(ConditionalData.Join(train.Images, train.Labels, MnistDataset.ClassCount));

        using var generator = new Generator(1);
        var recognised = new double[MnistDataset.ClassCount];
        for (var digit = 0; digit < MnistDataset.ClassCount; digit++)
        {
            var predicted = classifier.Classify(model.Sample(100, digit, generator));
            recognised[digit] = predicted.Count(p => p == digit) / 100.0;
            output.WriteLine($"digit {digit}: {recognised[digit]:P0} of 100 generated recognised");
        }
        output.WriteLine($"all digits: {recognised.Average():P1}");
        recognised.Average().Should().BeGreaterOrEqualTo(0.9);
        recognised.Should().OnlyContain(r => r >= 0.7, "no digit is drawn as another");
    }

    private static double Accuracy(long[] predicted, long[] labels) => predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
}
