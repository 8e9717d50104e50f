using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Benchmarks;

/// <summary>
/// One training epoch over a generated CSV table, streamed from disk (the default) or loaded into memory first
/// (<c>--memory</c>): rows per second for the statistics pass, the load and the epoch, and the peak working set.
/// The table (<c>--rows</c> x <c>--columns</c>, 5,000,000 x 30 by default, about 1.5 GB) is written once to
/// <c>--file</c> (default: the temp folder) and reused.
/// </summary>
internal static class TabularStreamBenchmark
{
    public static void Run(string[] args)
    {
        var rows = Option(args, "--rows", 5_000_000);
        var columns = Option(args, "--columns", 30);
        var batchSize = Option(args, "--batch", 256);
        var threads = Option(args, "--threads", 0);
        var inMemory = args.Contains("--memory");
        var file = Text(args, "--file") ?? Path.Combine(Path.GetTempPath(), $"vae-table-{rows}x{columns}.csv");
        if (threads > 0) VaeRuntime.SetCpuThreads(threads);

        if (!File.Exists(file) || args.Contains("--regenerate")) Generate(file, rows, columns);
        Console.WriteLine($"{file}: {new FileInfo(file).Length / 1e9:F2} GB, {rows:N0} rows x {columns} columns; " +
                          $"{(inMemory ? "loaded into memory" : "streamed from disk")}, batch {batchSize}, {torch.get_num_threads()} libtorch thread(s)");

        // The machine may be shared: CPU seconds beside wall seconds tell waiting from working.
        var process = Process.GetCurrentProcess();
        var clock = Stopwatch.StartNew();
        var cpu = process.TotalProcessorTime;
        var preprocessor = TabularPreprocessor.Fit(file);
        Report("statistics pass", rows, clock, ref cpu, process);

        var options = TabularAnomalyModel.DefaultModelOptions(preprocessor.FeatureCount);
        var trainerOptions = new VaeTrainerOptions { Epochs = 1, BatchSize = batchSize, Seed = 1 };
        TrainingResult result;
        double seconds;
        torch.manual_seed(1);
        using var model = new VariationalAutoencoder(options);
        using var trainer = new VaeTrainer(model, trainerOptions);
        Console.WriteLine($"model {options}, step: {(trainer.UsesFusedCpuKernels ? "fused CPU kernels" : "autograd")}");
        if (inMemory)
        {
            clock.Restart();
            cpu = process.TotalProcessorTime;
            using var data = TabularDataset.Load(file, preprocessor);
            Report("load", rows, clock, ref cpu, process);
            Console.WriteLine($"peak working set after the load: {process.PeakWorkingSet64 / 1048576.0:F0} MiB, {data.Features.NumberOfElements * 4 / 1048576.0:F0} MiB of features");
            clock.Restart();
            cpu = process.TotalProcessorTime;
            result = trainer.Fit(data.Features);
            seconds = clock.Elapsed.TotalSeconds;
        }
        else
        {
            var stream = new TabularBatchStream(file, preprocessor, batchSize, seed: 1);
            clock.Restart();
            cpu = process.TotalProcessorTime;
            result = trainer.Fit(stream.Epoch);
            seconds = clock.Elapsed.TotalSeconds;
        }

        process.Refresh();
        var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        Console.WriteLine($"epoch: {seconds:F1} s, {rows / seconds:N0} rows/s ({cpuSeconds:F1} CPU s), training loss {result.History[^1].Train.Loss:F3}");
        Console.WriteLine($"peak working set: {process.PeakWorkingSet64 / 1048576.0:F0} MiB");
    }

    private static void Report(string phase, int rows, Stopwatch clock, ref TimeSpan cpu, Process process)
    {
        process.Refresh();
        var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        cpu = process.TotalProcessorTime;
        Console.WriteLine($"{phase}: {clock.Elapsed.TotalSeconds:F1} s, {rows / clock.Elapsed.TotalSeconds:N0} rows/s ({cpuSeconds:F1} CPU s)");
    }

    /// <summary>Rows near a 4-dimensional subspace with unequal scales and offsets, four decimals each: about 300 bytes a row at 30 columns.</summary>
    private static void Generate(string file, int rows, int columns)
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(1);
        var weights = new double[columns, 4];
        for (var c = 0; c < columns; c++)
            for (var k = 0; k < 4; k++) weights[c, k] = random.NextDouble() * 2 - 1;
        var temporary = file + ".partial";
        using (var writer = new StreamWriter(temporary, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.Write(string.Join(',', Enumerable.Range(0, columns).Select(c => $"c{c}")));
            writer.Write('\n');
            Span<double> z = stackalloc double[4];
            Span<char> number = stackalloc char[32];
            for (var r = 0; r < rows; r++)
            {
                for (var k = 0; k < 4; k++) z[k] = random.NextDouble() * 2 - 1;
                for (var c = 0; c < columns; c++)
                {
                    var value = 10 * (c + 1) + (c + 1) * (weights[c, 0] * z[0] + weights[c, 1] * z[1] + weights[c, 2] * z[2] + weights[c, 3] * z[3] + 0.1 * (random.NextDouble() - 0.5));
                    value.TryFormat(number, out var written, "F4", CultureInfo.InvariantCulture);
                    writer.Write(number[..written]);
                    writer.Write(c == columns - 1 ? '\n' : ',');
                }
            }
        }
        File.Move(temporary, file, overwrite: true);
        Console.WriteLine($"generated {file} in {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? Text(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
