using System.Security.Cryptography;
using FluentAssertions;
using Vae.Core.Data;
using Xunit;
using Vae.Samples.Tests;

namespace Vae.Core.Tests.Data;

public sealed class MnistDownloaderTests : IDisposable
{
    // No proxy: the servers are on 127.0.0.1 and a proxy from the environment must not intercept them.
    private readonly HttpClient client = new(new HttpClientHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly TempFolder dir = new();

    /// <summary>The shipped gz files, served as if they were the full download.</summary>
    private static readonly Dictionary<string, byte[]> Files =
        new[] { MnistFiles.TrainImages, MnistFiles.TrainLabels, MnistFiles.TestImages, MnistFiles.TestLabels }
            .Select(n => n + ".gz")
            .ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(TestData.MnistDirectory, n)));

    /// <summary>The manifest for the shipped files, from their hashes computed here.</summary>
    private static readonly Dictionary<string, string> Manifest =
        Files.ToDictionary(f => f.Key, f => Convert.ToHexString(SHA256.HashData(f.Value)).ToLowerInvariant());

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public async Task GoodMirrorDeliversVerifiedFilesAndASecondRunDownloadsNothing()
    {
        using var server = new LocalHttpServer(Files, ServerBehavior.Serve);
        var reports = new List<DownloadProgress>();

        var first = await Download([server.BaseUri], new SyncProgress(reports.Add));

        first.Should().OnlyContain(f => f.WasDownloaded);
        first.Select(f => f.FileName).Should().BeEquivalentTo(Files.Keys);
        dir.Names().Should().BeEquivalentTo(Files.Keys, "no temporary file may remain");
        foreach (var (name, bytes) in Files)
        {
            File.ReadAllBytes(dir.File(name)).Should().Equal(bytes);
            var last = reports.Last(r => r.FileName == name);
            last.BytesReceived.Should().Be(bytes.Length);
            last.TotalBytes.Should().Be(bytes.Length);
        }
        var requests = server.Requests.Count;

        var second = await Download([server.BaseUri]);

        second.Should().OnlyContain(f => !f.WasDownloaded);
        server.Requests.Should().HaveCount(requests);
        using var test = MnistDataset.Load(dir.Path, MnistSplit.Test);
        test.Count.Should().Be(2000);
    }

    [Fact]
    public async Task CorruptMirrorAloneIsRejectedAndLeavesNoFile()
    {
        using var corrupt = new LocalHttpServer(Files, ServerBehavior.Corrupt);

        var download = () => Download([corrupt.BaseUri]);

        var error = (await download.Should().ThrowAsync<IOException>()).Which;
        error.Message.Should().Contain(Files.Keys.First()).And.Contain(corrupt.BaseUri.ToString()).And.Contain("SHA-256");
        dir.Names().Should().BeEmpty();
    }

    [Fact]
    public async Task CorruptMirrorFallsBackToTheNextGoodOne()
    {
        using var corrupt = new LocalHttpServer(Files, ServerBehavior.Corrupt);
        using var good = new LocalHttpServer(Files, ServerBehavior.Serve);

        var result = await Download([corrupt.BaseUri, good.BaseUri]);

        result.Should().OnlyContain(f => f.Source != null && f.Source.Port == good.BaseUri.Port);
        corrupt.Requests.Should().BeEquivalentTo(Files.Keys);
        foreach (var (name, bytes) in Files) File.ReadAllBytes(dir.File(name)).Should().Equal(bytes);
        dir.Names().Should().BeEquivalentTo(Files.Keys);
    }

    [Fact]
    public async Task ConnectionDroppedHalfwayLeavesNoPartialFileAndKeepsExistingFiles()
    {
        using var dropping = new LocalHttpServer(Files, ServerBehavior.DropHalfway);
        var valid = MnistFiles.TrainImages + ".gz";
        var invalid = MnistFiles.TrainLabels + ".gz";
        File.WriteAllBytes(dir.File(valid), Files[valid]);
        var stale = "an old, wrong copy"u8.ToArray();
        File.WriteAllBytes(dir.File(invalid), stale);
        var validWritten = File.GetLastWriteTimeUtc(dir.File(valid));

        var download = () => Download([dropping.BaseUri]);

        var error = (await download.Should().ThrowAsync<IOException>()).Which;
        error.Message.Should().Contain(invalid).And.Contain(dropping.BaseUri.ToString());
        dropping.Requests.Should().NotContain(valid, "a valid file is not downloaded again");
        dropping.Requests.Should().Contain(invalid);
        File.ReadAllBytes(dir.File(valid)).Should().Equal(Files[valid]);
        File.GetLastWriteTimeUtc(dir.File(valid)).Should().Be(validWritten);
        File.ReadAllBytes(dir.File(invalid)).Should().Equal(stale, "a file is replaced only by a verified download");
        dir.Names().Should().BeEquivalentTo(new[] { valid, invalid });
    }

    [Fact]
    public async Task InvalidFileAlreadyPresentIsReplacedByAVerifiedDownload()
    {
        using var good = new LocalHttpServer(Files, ServerBehavior.Serve);
        var name = MnistFiles.TestLabels + ".gz";
        File.WriteAllBytes(dir.File(name), Files[name][..^10]);

        var result = await Download([good.BaseUri]);

        result.Single(f => f.FileName == name).WasDownloaded.Should().BeTrue();
        File.ReadAllBytes(dir.File(name)).Should().Equal(Files[name]);
    }

    [Fact]
    public async Task WhenEveryMirrorFailsTheErrorNamesTheFileAndEachMirrorsFailure()
    {
        using var missing = new LocalHttpServer(Files, ServerBehavior.NotFound);
        using var dropping = new LocalHttpServer(Files, ServerBehavior.DropHalfway);
        using var corrupt = new LocalHttpServer(Files, ServerBehavior.Corrupt);

        var download = () => Download([missing.BaseUri, dropping.BaseUri, corrupt.BaseUri]);

        var error = (await download.Should().ThrowAsync<IOException>()).Which;
        var first = Files.Keys.First();
        error.Message.Should().Contain(first).And.Contain("404").And.Contain("SHA-256")
            .And.Contain(missing.BaseUri.ToString()).And.Contain(dropping.BaseUri.ToString()).And.Contain(corrupt.BaseUri.ToString());
        error.InnerException.Should().BeOfType<AggregateException>().Which.InnerExceptions.Should().HaveCount(3);
        dir.Names().Should().BeEmpty();
    }

    [Fact]
    public async Task CancellationStopsTheDownloadAndLeavesNoPartialFile()
    {
        using var good = new LocalHttpServer(Files, ServerBehavior.Serve);
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.BytesReceived > 0) cancel.Cancel();
        });

        var download = () => Download([good.BaseUri], progress, cancel.Token);

        await download.Should().ThrowAsync<OperationCanceledException>();
        dir.Names().Should().BeEmpty();
    }

    [Fact]
    public void DefaultManifestCoversTheFourStandardFilesWithSha256Hashes()
    {
        MnistDownloader.DefaultManifest.Keys.Should().BeEquivalentTo(Files.Keys);
        MnistDownloader.DefaultManifest.Values.Should().OnlyContain(h => h.Length == 64 && h.All(Uri.IsHexDigit));
        MnistDownloader.DefaultManifest.Values.Should().OnlyHaveUniqueItems();
        MnistDownloader.DefaultMirrors.Should().NotBeEmpty().And.OnlyContain(m => m.AbsoluteUri.EndsWith('/'));
    }

    private Task<IReadOnlyList<DownloadedFile>> Download(
        Uri[] mirrors, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        MnistDownloader.DownloadAsync(dir.Path, progress, client, mirrors, Manifest, cancellationToken);

    /// <summary>Reports on the calling thread, unlike Progress&lt;T&gt;, so the test sees every report before it asserts.</summary>
    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
