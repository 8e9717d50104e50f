using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core.TimeSeries;
using Vae.Samples;

namespace Vae.TimeSeries;

/// <summary>Runs the detector over a NAB data folder and scores the run as NAB does.</summary>
internal sealed class NabCommand : Command<NabSettings>
{
    public override int Execute(CommandContext context, NabSettings settings, CancellationToken cancellationToken)
    {
        var data = settings.Data ?? Path.Combine(AppContext.BaseDirectory, "data", "nab");
        if (!Directory.Exists(data)) throw new DirectoryNotFoundException($"--data {data}: no such folder.");
        var options = settings.DetectorOptions(TimeSeriesTimestamps.Sequential);
        var parallel = settings.Parallel ?? Environment.ProcessorCount;
        var done = 0;
        var outcome = NabRun.Run(data, settings.Output, options, parallel, relative =>
        {
            var n = Interlocked.Increment(ref done);
            if (!settings.Json) Console.Error.WriteLine($"[{n}] {relative}");
        });

        var windows = Path.Combine(data, "labels", "combined_windows.json");
        IReadOnlyList<NabRun.ProfileScore>? scores = null;
        if (File.Exists(windows))
        {
            var corpus = NabCorpus.Load(data, windows);
            scores = NabRun.Score(corpus, outcome.Results);
        }
        var figures = new
        {
            series = outcome.Results.Count,
            scoredRows = outcome.ScoredRows,
            seconds = Math.Round(outcome.Seconds, 2),
            output = Path.GetFullPath(settings.Output),
            options = new { options.WindowSize, options.HiddenSizes, options.LatentSize, options.Epochs, options.ShortAverage, options.RangeScore, options.RangeScale, options.SeasonalScore, options.SeasonalDigits, options.LevelShiftPoints, options.LevelShiftWindow, options.LevelShiftDigits, options.TailDigits, options.VaeScoreGate, options.Seed },
            scores,
        };
        if (scores is not null) File.WriteAllText(Path.Combine(settings.Output, "nab-scores.json"), JsonLine.Serialize(figures) + "\n");
        if (settings.Json)
        {
            Console.WriteLine(JsonLine.Serialize(figures));
            return 0;
        }

        Console.WriteLine($"{outcome.Results.Count} series, {outcome.ScoredRows:N0} scored rows in {outcome.Seconds:F1} s; results in {Path.GetFullPath(settings.Output)}");
        if (scores is null)
        {
            Console.WriteLine($"No {windows}: not scored.");
            return 0;
        }
        var table = new Table().AddColumns("profile", "NAB score", "threshold", "TP rows", "FP rows", "FN rows");
        foreach (var s in scores) table.AddRow(s.Profile, $"{s.NormalizedScore:F2}", $"{s.Threshold:F4}", $"{s.TruePositives}", $"{s.FalsePositives}", $"{s.FalseNegatives}");
        AnsiConsole.Write(table);
        var categories = new Table().AddColumns("category (standard)", "files", "windows", "NAB score", "raw", "FP rows");
        foreach (var c in scores[0].Categories)
            categories.AddRow(c.Category, $"{c.Files}", $"{c.Windows}", c.NormalizedScore is { } v ? $"{v:F2}" : "-", $"{c.RawScore:F2}", $"{c.FalsePositives}");
        AnsiConsole.Write(categories);
        return 0;
    }
}
