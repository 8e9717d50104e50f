using Microsoft.Extensions.Options;
using Vae.Samples.Tests;
using static TorchSharp.torch;

namespace Vae.Extensions.Hosting.Tests;

/// <summary>Reloading the served file: atomic swaps, leases that keep the old model, broken files that change nothing.</summary>
public sealed class VaeModelProviderTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private VaeModelProvider Provider(string path, bool watch = true) =>
        new(Options.Create(new VaeServingOptions { ModelPath = path, ReloadOnChange = watch, ReloadDelay = TimeSpan.FromMilliseconds(50) }));

    [Fact]
    public async Task AReplacedFileIsLoadedAndServedWithoutACall()
    {
        var path = temp.File("detector.vae");
        ModelFiles.SaveDetector(path, 4, seed: 1);
        using var provider = Provider(path);
        var before = provider.Current;

        ModelFiles.Replace(path, next => ModelFiles.SaveDetector(next, 5, seed: 2, threshold: 9));

        // One rename may be seen as more than one change: at least one reload, of the new file.
        await ModelFiles.Eventually(() => provider.Current.Version >= 2, "the replaced file to be loaded");
        provider.Current.Architecture.Should().Be(ModelFiles.Options(5).ToString());
        provider.Current.LoadedAt.Should().BeOnOrAfter(before.LoadedAt);
        provider.Reloads.Should().Be(provider.Current.Version - 1);
        using var lease = provider.Acquire();
        lease.Detector.Threshold.Should().Be(9);
        using var scope = NewDisposeScope();
        lease.Detector.Score(ModelFiles.Rows()).Should().Equal(ModelFiles.ScoresOf(path));
    }

    [Fact]
    public void ARequestInFlightFinishesOnTheOldModelWhichIsDisposedAfterIt()
    {
        var path = temp.File("detector.vae");
        ModelFiles.SaveDetector(path, 4, seed: 1);
        var oldScores = ModelFiles.ScoresOf(path);
        using var provider = Provider(path, watch: false);
        var inFlight = provider.Acquire();

        ModelFiles.Replace(path, next => ModelFiles.SaveDetector(next, 4, seed: 2));
        provider.TryReload().Should().BeTrue();

        using var scope = NewDisposeScope();
        provider.Current.Version.Should().Be(2);
        inFlight.Snapshot.Version.Should().Be(1);
        inFlight.Detector.Score(ModelFiles.Rows()).Should().Equal(oldScores, "the lease holds the model it started with");
        using (var fresh = provider.Acquire()) fresh.Detector.Score(ModelFiles.Rows()).Should().NotEqual(oldScores);
        var oldDetector = inFlight.Detector;
        inFlight.Dispose();
        FluentActions.Invoking(() => oldDetector.Score(ModelFiles.Rows())).Should().Throw<ObjectDisposedException>("the last lease on a replaced model disposes it");
        using (var fresh = provider.Acquire()) fresh.Detector.Score(ModelFiles.Rows()).Should().HaveCount(4);
    }

    [Fact]
    public async Task ABrokenNewFileKeepsTheOldModelAndAGoodOneAfterwardsIsServed()
    {
        var path = temp.File("detector.vae");
        ModelFiles.SaveDetector(path, 4, seed: 1);
        var oldScores = ModelFiles.ScoresOf(path);
        using var provider = Provider(path);

        ModelFiles.ReplaceWithBytes(path, File.ReadAllBytes(path)[..100]);

        await ModelFiles.Eventually(() => provider.LastReloadFailure is not null, "the truncated file to be refused");
        provider.Current.Version.Should().Be(1);
        provider.LastReloadFailure!.Path.Should().Be(Path.GetFullPath(path));
        provider.LastReloadFailure.Message.Should().Contain(Path.GetFullPath(path));
        provider.FailedReloads.Should().BeGreaterThanOrEqualTo(1);
        using (var lease = provider.Acquire())
        using (NewDisposeScope())
            lease.Detector.Score(ModelFiles.Rows()).Should().Equal(oldScores);

        ModelFiles.Replace(path, next => ModelFiles.SaveDetector(next, 3, seed: 3));

        await ModelFiles.Eventually(() => provider.Current.Version >= 2, "the good file to be loaded");
        provider.LastReloadFailure.Should().BeNull();
        provider.Current.Architecture.Should().Be(ModelFiles.Options(3).ToString());
    }

    [Fact]
    public async Task RequestsOnManyThreadsDuringReloadsAllScoreOnAWholeModel()
    {
        var path = temp.File("detector.vae");
        var first = temp.File("first.vae");
        var second = temp.File("second.vae");
        ModelFiles.SaveDetector(first, 4, seed: 1);
        ModelFiles.SaveDetector(second, 4, seed: 2);
        File.Copy(first, path);
        var expected = new[] { ModelFiles.ScoresOf(first), ModelFiles.ScoresOf(second) };
        using var provider = Provider(path, watch: false);
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var scored = 0;

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var lease = provider.Acquire();
                using var scope = NewDisposeScope();
                var scores = lease.Detector.Score(ModelFiles.Rows());
                if (!expected.Any(e => e.SequenceEqual(scores))) failures.Enqueue($"version {lease.Snapshot.Version} scored {string.Join(", ", scores)}");
                Interlocked.Increment(ref scored);
            }
        })).ToArray();
        for (var i = 0; i < 20; i++)
        {
            File.Copy(i % 2 == 0 ? second : first, path + ".new", overwrite: true);
            File.Move(path + ".new", path, overwrite: true);
            provider.TryReload().Should().BeTrue();
            await Task.Delay(5);
        }
        stop.Cancel();
        await Task.WhenAll(workers);

        failures.Should().BeEmpty();
        provider.Current.Version.Should().Be(21);
        scored.Should().BeGreaterThan(20);
    }

    [Fact]
    public void ADisposedProviderGivesNoMoreLeases()
    {
        var path = temp.File("model.vae");
        ModelFiles.SaveModel(path, 4, 1);
        var provider = Provider(path);
        provider.Dispose();

        FluentActions.Invoking(() => provider.Acquire()).Should().Throw<ObjectDisposedException>();
    }
}
