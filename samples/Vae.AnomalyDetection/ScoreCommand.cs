using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using Vae.Core.Data;
using Vae.Samples;

namespace Vae.AnomalyDetection;

/// <summary>Applies a saved tabular model to new rows and writes a CSV of their scores and flags.</summary>
internal sealed class ScoreCommand : AsyncCommand<ScoreSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, ScoreSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (!File.Exists(settings.Model)) throw new FileNotFoundException($"--model: the file '{settings.Model}' does not exist.", settings.Model);
        if (!File.Exists(settings.Csv)) throw new FileNotFoundException($"--csv: the file '{settings.Csv}' does not exist.", settings.Csv);
        using var detector = TabularAnomalyModel.Load(settings.Model!);
        if (settings.Threshold is { } threshold) detector.Threshold = threshold;

        long rows = 0, flagged = 0;
        // Written to a temporary file and renamed at the end: a bad row half-way leaves no half-written output.
        Vae.Core.AtomicFile.Write(settings.Output, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            writer.WriteLine("row,line,label,score,anomalous");
            foreach (var result in detector.ScoreCsv(settings.Csv!))
            {
                cancellationToken.ThrowIfCancellationRequested();
                rows++;
                if (result.IsAnomalous) flagged++;
                writer.WriteLine(TabularCommand.ScoreLine(result.RowIndex, result.Line, result.Label, result.Score, result.IsAnomalous));
            }
        });
        var rowsPerSecond = rows / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        if (settings.Json)
        {
            Console.WriteLine(JsonLine.Serialize(new
            {
                rows,
                flagged,
                threshold = detector.Threshold,
                rows_per_second = rowsPerSecond,
                output = settings.Output,
            }));
        }
        else
        {
            AnsiConsole.MarkupLine(FormattableString.Invariant(
                $"{rows:N0} rows scored, {flagged:N0} above the threshold {detector.Threshold:F2}: [blue]{Markup.Escape(settings.Output)}[/]"));
        }
        return Task.FromResult(0);
    }
}
