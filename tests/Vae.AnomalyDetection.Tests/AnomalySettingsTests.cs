using Vae.Core;

namespace Vae.AnomalyDetection.Tests;

public sealed class AnomalySettingsTests
{
    [Fact]
    public void TheDefaultsAreValidAndRunAllTenDigitsWithTheElboScore()
    {
        var settings = new AnomalySettings { Epochs = 10, Seed = 1, Percentile = 99 };

        settings.Validate().Successful.Should().BeTrue();
        settings.Digits.Should().Equal(Enumerable.Range(0, 10));
        settings.ScoreKind.Should().Be(AnomalyScoreKind.NegativeElboAtMean);
    }

    [Fact]
    public void OneHeldOutDigitRunsAlone() =>
        new AnomalySettings { Holdout = 7, Epochs = 1, Percentile = 99 }.Digits.Should().Equal(7);

    [Theory]
    [InlineData("iwae", 5, 5)]
    [InlineData(" IWAE ", null, AnomalyDetector.DefaultImportanceSamples)]
    public void TheIwaeScoreTakesItsKOrTheLibraryDefault(string score, int? k, int expected)
    {
        var settings = new AnomalySettings { Score = score, K = k, Epochs = 1, Percentile = 99 };

        settings.Validate().Successful.Should().BeTrue();
        settings.ScoreKind.Should().Be(AnomalyScoreKind.NegativeImportanceWeighted);
        settings.ImportanceSamples.Should().Be(expected);
    }

    // object, since a public member of the test class cannot show the program's internal settings type.
    public static TheoryData<object, string> Invalid => new()
    {
        { new AnomalySettings { Holdout = 10, Epochs = 1, Percentile = 99 }, "--holdout" },
        { new AnomalySettings { Holdout = -1, Epochs = 1, Percentile = 99 }, "--holdout" },
        { new AnomalySettings { Epochs = 0, Percentile = 99 }, "--epochs" },
        { new AnomalySettings { Epochs = 1, Threads = 0, Percentile = 99 }, "--threads" },
        { new AnomalySettings { Epochs = 1, Score = "mse", Percentile = 99 }, "--score" },
        { new AnomalySettings { Epochs = 1, Score = "iwae", K = 0, Percentile = 99 }, "-k" },
        { new AnomalySettings { Epochs = 1, K = 100, Percentile = 99 }, "--score iwae" },
        { new AnomalySettings { Epochs = 1, Percentile = 100.5 }, "--percentile" },
        { new AnomalySettings { Epochs = 1, Percentile = double.NaN }, "--percentile" },
        { new AnomalySettings { Epochs = 1, Percentile = 99, Output = " " }, "--output" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidSettingsNameTheOption(object settings, string option)
    {
        var result = ((AnomalySettings)settings).Validate();

        result.Successful.Should().BeFalse();
        result.Message.Should().Contain(option);
    }
}
