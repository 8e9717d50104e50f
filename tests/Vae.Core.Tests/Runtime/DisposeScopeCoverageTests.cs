using Vae.Core.Data;
using Vae.Core.Recommendation;
using TorchSharp;
using static TorchSharp.torch;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Runtime;

/// <summary>
/// The library leaves no tensor to TorchSharp's finalizers: every temporary belongs to a dispose scope (or a
/// <c>using</c>) until its last libtorch call has returned. A temporary left to a finalizer is referenced by nothing once
/// its handle has been read, so a collection on another thread can free its native tensor in the middle of the
/// libtorch call that uses it (see <see cref="CollectionStress"/>). Each public operation below, called with no scope
/// open, must leave no tensor that a full collection then finalizes (TorchSharp counts the live tensor wrappers).
/// </summary>
public sealed class DisposeScopeCoverageTests
{
    private static long LeftToFinalizers(Action operation)
    {
        CollectEverything();
        // No collection during the operation, so nothing it leaves is finalized before it is counted.
        var noCollections = GC.TryStartNoGCRegion(1L << 30);
        operation();
        var afterOperation = Tensor.TotalCount;
        if (noCollections && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        CollectEverything();
        return afterOperation - Tensor.TotalCount;
    }

    private static void CollectEverything()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static TheoryData<string> Operations() =>
    [
        "construct-mlp", "construct-conv", "train-autograd", "train-fused", "train-conv", "train-iwae", "evaluate",
        "encode", "decode", "sample", "reconstruct", "estimate", "anomaly", "save-load", "multvae-train", "multvae-recommend", "ease",
    ];

    [Theory]
    [MemberData(nameof(Operations))]
    public void APublicOperationLeavesNoTensorToTheFinalizers(string operation)
    {
        using var digits = MnistDataset.Load(TestData.MnistDirectory, MnistSplit.Test);
        using var images = digits.Images.narrow(0, 0, 256);
        using var codes = zeros(4, 8);
        var mlp = new VaeOptions { HiddenSizes = [32], LatentSize = 8 };
        var conv = mlp with { Architecture = VaeArchitecture.Convolutional };
        using var model = new VariationalAutoencoder(operation.EndsWith("conv") ? conv : mlp);
        var clicks = SyntheticClicks.Generate(new SyntheticClickOptions { UserCount = 300, ItemCount = 200, Seed = 3 }).Split(new ReferenceSplitOptions { HeldOutUsers = 50 });
        using var multVae = new MultVae(clicks.ItemIds, new MultVaeOptions { HiddenSizes = [16], LatentSize = 8 });
        using var folder = new TempFolder();
        var file = folder.File("scope.vae");
        var trainerOptions = new VaeTrainerOptions { Epochs = 1, BatchSize = 64 };

        Action run = operation switch
        {
            "construct-mlp" => () => new VariationalAutoencoder(mlp).Dispose(),
            "construct-conv" => () => new VariationalAutoencoder(conv).Dispose(),
            "train-autograd" => () => { using var t = new VaeTrainer(model, trainerOptions with { UseFusedCpuKernels = false }); t.Fit(images, images); },
            "train-fused" => () => { using var t = new VaeTrainer(model, trainerOptions); t.Fit(images, images); },
            "train-conv" => () => { using var t = new VaeTrainer(model, trainerOptions); t.Fit(images, images); },
            "train-iwae" => () => { using var t = new VaeTrainer(model, trainerOptions with { Objective = VaeObjective.Iwae }); t.Fit(images, images); },
            "evaluate" => () => model.Evaluate(images),
            "encode" => () => model.Encode(images).Dispose(),
            "decode" => () => model.Decode(codes).Dispose(),
            "sample" => () => model.Sample(4).Dispose(),
            "reconstruct" => () => model.Reconstruct(images).Dispose(),
            "estimate" => () => LikelihoodEstimator.Estimate(model, images, 5),
            "anomaly" => () => AnomalyDetector.Fit(model, images, percentile: 99).Score(images),
            "save-load" => () => { model.Save(file); VariationalAutoencoder.Load(file).Dispose(); },
            "multvae-train" => () => new MultVaeTrainer(new MultVaeTrainerOptions { Epochs = 1, BatchSize = 100 }).Train(multVae, clicks),
            "multvae-recommend" => () => multVae.Recommend(clicks.Test.FoldIn, 10),
            "ease" => () => { using var ease = EaseRecommender.Fit(clicks.Train); RecommendationEvaluator.Evaluate(ease, clicks.Test, new RankingOptions()); },
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
        };
        // TorchSharp's Conv2d and ConvTranspose2d constructors drop the result of their own initialisers (kaiming_uniform_
        // and uniform_ return a new wrapper of the parameter they filled): one wrapper each for the encoder's two
        // convolutions and the decoder's two, never passed to libtorch again, so harmless; nothing else may be left.
        var allowed = operation == "construct-conv" ? 4 : 0;
        LeftToFinalizers(run).Should().Be(allowed, $"{operation} must dispose of every tensor it does not return or keep");
    }
}
