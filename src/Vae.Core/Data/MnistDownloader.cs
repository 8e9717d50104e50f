using System.Collections.ObjectModel;
using System.Security.Cryptography;

namespace Vae.Core.Data;

/// <summary>
/// Downloads the four gzip files of the full MNIST set (60,000 training and 10,000 test digits) into a folder that
/// <see cref="MnistDataset.Load"/> can then read, verifying each file's SHA-256.
/// </summary>
/// <remarks>
/// Each file is written to a temporary name in the target folder, verified, and only then moved to its final name,
/// so the folder never holds a partial or unverified file under a real name, and a file already present is replaced
/// only by a verified one. Files already present with the right hash are not downloaded again. A mirror that fails
/// in any way (HTTP error, dropped connection, wrong hash) is skipped for the next one.
/// </remarks>
public static class MnistDownloader
{
    /// <summary>
    /// The mirrors torchvision uses, in its order: the PyTorch team's S3 copy first, since the original site has
    /// been unreliable (it has answered with HTTP 403 at times).
    /// </summary>
    public static IReadOnlyList<Uri> DefaultMirrors { get; } = new ReadOnlyCollection<Uri>(new[]
    {
        new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new Uri("http://yann.lecun.com/exdb/mnist/"),
    });

    /// <summary>The SHA-256 (lowercase hex) of each file of the official MNIST download.</summary>
    public static IReadOnlyDictionary<string, string> DefaultManifest { get; } =
        new ReadOnlyDictionary<string, string>(new Dictionary<string, string>
        {
            [MnistFiles.TrainImages + MnistFiles.GzipExtension] = "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            [MnistFiles.TrainLabels + MnistFiles.GzipExtension] = "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            [MnistFiles.TestImages + MnistFiles.GzipExtension] = "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            [MnistFiles.TestLabels + MnistFiles.GzipExtension] = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        });

    private const string TemporarySuffix = ".part";

    /// <summary>
    /// Makes sure every file of <paramref name="manifest"/> is present in <paramref name="directory"/> with its
    /// expected SHA-256, downloading the missing or invalid ones.
    /// </summary>
    /// <param name="directory">The target folder; created if missing.</param>
    /// <param name="progress">Receives the progress of each download, or null.</param>
    /// <param name="httpClient">The client to download with; by default a new one, disposed afterwards.</param>
    /// <param name="mirrors">Base URLs to try in order, each file's URL being the base plus its name; by default <see cref="DefaultMirrors"/>.</param>
    /// <param name="manifest">File name to expected SHA-256 (hex); by default <see cref="DefaultManifest"/>.</param>
    /// <param name="cancellationToken">Cancels the download; the partial file is deleted.</param>
    /// <returns>One entry per manifest file, in manifest order, saying whether it was downloaded.</returns>
    /// <exception cref="ArgumentException">No mirror, an empty manifest, a file name that is not a plain name, or a hash that is not 64 hex digits.</exception>
    /// <exception cref="IOException">A file could not be fetched from any mirror; the message lists every mirror's failure.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<IReadOnlyList<DownloadedFile>> DownloadAsync(
        string directory,
        IProgress<DownloadProgress>? progress = null,
        HttpClient? httpClient = null,
        IReadOnlyList<Uri>? mirrors = null,
        IReadOnlyDictionary<string, string>? manifest = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        mirrors ??= DefaultMirrors;
        manifest ??= DefaultManifest;
        var bases = CheckMirrors(mirrors);
        CheckManifest(manifest);
        Directory.CreateDirectory(directory);

        var ownClient = httpClient is null;
        httpClient ??= new HttpClient();
        try
        {
            var results = new List<DownloadedFile>();
            foreach (var (name, hash) in manifest)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = Path.Combine(directory, name);
                if (File.Exists(path) && await HasHashAsync(path, hash, cancellationToken).ConfigureAwait(false))
                {
                    results.Add(new DownloadedFile(name, path, null));
                    continue;
                }
                var source = await DownloadFromAnyAsync(httpClient, bases, name, hash, path, progress, cancellationToken)
                    .ConfigureAwait(false);
                results.Add(new DownloadedFile(name, path, source));
            }
            return results;
        }
        finally
        {
            if (ownClient) httpClient.Dispose();
        }
    }

    private static async Task<Uri> DownloadFromAnyAsync(
        HttpClient client, IReadOnlyList<Uri> mirrors, string name, string hash, string path,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var failures = new List<Exception>();
        foreach (var mirror in mirrors)
        {
            var url = new Uri(mirror, name);
            try
            {
                await DownloadOneAsync(client, mirror, url, name, hash, path, progress, cancellationToken).ConfigureAwait(false);
                return url;
            }
            // Cancellation by the caller ends the run; anything else (including HttpClient's own timeout) only this mirror.
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add(new IOException($"{url}: {e.Message}", e));
            }
        }
        throw new IOException(
            $"Could not download '{name}' from any of {mirrors.Count} mirror(s): " +
            string.Join("; ", failures.Select(f => f.Message)),
            new AggregateException(failures));
    }

    private static async Task DownloadOneAsync(
        HttpClient client, Uri mirror, Uri url, string name, string hash, string path,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        // Same folder as the target, so the final move is a rename on one file system.
        var temporary = $"{path}.{Guid.NewGuid():N}{TemporarySuffix}";
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException(
                    $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
            var total = response.Content.Headers.ContentLength;
            long received = 0;
            progress?.Report(new DownloadProgress(name, mirror, 0, total));
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                int got;
                while ((got = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    sha.AppendData(buffer, 0, got);
                    await file.WriteAsync(buffer.AsMemory(0, got), cancellationToken).ConfigureAwait(false);
                    received += got;
                    progress?.Report(new DownloadProgress(name, mirror, received, total));
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            if (total is { } expectedLength && received != expectedLength)
                throw new IOException($"the connection ended after {received} of {expectedLength} bytes");
            var actual = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
            if (!string.Equals(actual, hash, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"SHA-256 is {actual}, expected {hash.ToLowerInvariant()} ({received} bytes received)");
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    private static async Task<bool> HasHashAsync(string path, string hash, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var actual = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
        return string.Equals(Convert.ToHexString(actual), hash, StringComparison.OrdinalIgnoreCase);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path); // no error when it does not exist, e.g. after the move
        }
        catch (IOException)
        {
            // Best effort: the download's own failure is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static List<Uri> CheckMirrors(IReadOnlyList<Uri> mirrors)
    {
        if (mirrors.Count == 0) throw new ArgumentException("Give at least one mirror.", nameof(mirrors));
        var bases = new List<Uri>();
        foreach (var mirror in mirrors)
        {
            if (mirror is null || !mirror.IsAbsoluteUri || (mirror.Scheme != Uri.UriSchemeHttp && mirror.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"Mirror '{mirror}' is not an absolute http(s) URL.", nameof(mirrors));
            // Without the trailing slash, new Uri(base, name) would replace the last path segment instead of appending.
            bases.Add(mirror.AbsolutePath.EndsWith('/') ? mirror : new Uri(mirror.AbsoluteUri + "/"));
        }
        return bases;
    }

    private static void CheckManifest(IReadOnlyDictionary<string, string> manifest)
    {
        if (manifest.Count == 0) throw new ArgumentException("The manifest lists no files.", nameof(manifest));
        foreach (var (name, hash) in manifest)
        {
            if (string.IsNullOrWhiteSpace(name) || Path.GetFileName(name) != name || name is "." or "..")
                throw new ArgumentException($"Manifest entry '{name}' is not a plain file name.", nameof(manifest));
            if (hash is null || hash.Length != 64 || !hash.All(Uri.IsHexDigit))
                throw new ArgumentException($"The SHA-256 of '{name}' in the manifest, '{hash}', is not 64 hex digits.", nameof(manifest));
        }
    }
}
