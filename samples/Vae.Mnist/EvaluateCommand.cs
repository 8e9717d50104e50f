using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;

namespace Vae.Mnist;

/// <summary>Scores a saved model on the test digits: the ELBO and the importance-weighted log-likelihood.</summary>
internal sealed class EvaluateCommand : AsyncCommand<EvaluateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (!File.Exists(settings.Model)) throw new FileNotFoundException($"--model: there is no file '{settings.Model}'.", settings.Model);
        var folder = await DataSource.ResolveAsync(settings.Data, null, true, cancellationToken);
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);
        using var model = VariationalAutoencoder.Load(settings.Model!);
        using var test = MnistDataset.Load(folder, MnistSplit.Test);
        using var testRows = ModelRows.Of(model, test);

        var elbo = model.Evaluate(testRows, seed: settings.Seed);
        using var generator = new torch.Generator((ulong)settings.Seed);
        LikelihoodEstimate estimate;
        if (settings.Json || Console.IsOutputRedirected)
        {
            estimate = LikelihoodEstimator.Estimate(model, testRows, settings.K, generator, null, cancellationToken);
        }
        else
        {
            AnsiConsole.MarkupLine($"[bold]{model.Options}[/] model from [blue]{Markup.Escape(settings.Model!)}[/] on {test.Count:N0} test digits");
            estimate = AnsiConsole.Progress().Start(progressContext =>
            {
                var task = progressContext.AddTask($"log p(x), k = {settings.K:N0}", maxValue: test.Count);
                var rows = new Progress<int>(done => task.Value = done);
                return LikelihoodEstimator.Estimate(model, testRows, settings.K, generator, rows, cancellationToken);
            });
        }

        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                test_elbo = -elbo.Loss,
                test_negative_elbo = elbo.Loss,
                test_nll_iwae = estimate.MeanNegativeLogLikelihood,
                standard_error = estimate.StandardError,
                k = settings.K,
                images = test.Count,
                seconds = clock.Elapsed.TotalSeconds,
                architecture = model.Options.ToString(),
            }));
        }
        else
        {
            var table = new Table().RoundedBorder().AddColumns("measure", "nats per test image");
            table.Columns[1].RightAligned();
            table.AddRow("negative ELBO (1 sample of z)", $"{elbo.Loss:F2}");
            table.AddRow($"negative log-likelihood, IWAE k = {settings.K:N0}", $"{estimate.MeanNegativeLogLikelihood:F2} ± {estimate.StandardError:F2}");
            AnsiConsole.Write(table);
        }
        return 0;
    }
}
