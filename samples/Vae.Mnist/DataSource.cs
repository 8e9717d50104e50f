using Spectre.Console;
using Vae.Core.Data;

namespace Vae.Mnist;

/// <summary>Decides which MNIST files a run reads: the shipped 10,000 digits, a folder, or a fresh download.</summary>
internal static class DataSource
{
    /// <summary>The 10,000 digits copied beside the program at build time.</summary>
    public static string ShippedFolder => Path.Combine(AppContext.BaseDirectory, "data", "mnist-10k");

    public static async Task<string> ResolveAsync(string? data, string? download, bool quiet, CancellationToken cancellationToken)
    {
        if (download is not null)
        {
            await DownloadAsync(download, quiet, cancellationToken);
            return download;
        }
        if (data is null) return ShippedFolder;
        if (!Directory.Exists(data))
            throw new DirectoryNotFoundException($"--data: folder '{data}' does not exist (it should hold the four MNIST files, e.g. train-images-idx3-ubyte.gz).");
        return data;
    }

    private static async Task DownloadAsync(string folder, bool quiet, CancellationToken cancellationToken)
    {
        if (quiet)
        {
            await MnistDownloader.DownloadAsync(folder, cancellationToken: cancellationToken);
            return;
        }
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Progress<DownloadProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.FileName, out var task))
                        tasks[p.FileName] = task = context.AddTask(p.FileName, maxValue: p.TotalBytes ?? 1);
                    if (p.TotalBytes is { } total) task.MaxValue = total;
                    task.Value = p.BytesReceived;
                });
                var files = await MnistDownloader.DownloadAsync(folder, progress, cancellationToken: cancellationToken);
                foreach (var file in files.Where(f => !f.WasDownloaded))
                    context.AddTask($"{file.FileName} (already there, verified)", maxValue: 1).Value = 1;
                foreach (var task in tasks.Values) task.Value = task.MaxValue;
            });
    }
}
