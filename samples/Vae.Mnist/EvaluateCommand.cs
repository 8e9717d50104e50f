using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using Vae.Core;
using Vae.Core.Data;
using Vae.Samples;

namespace Vae.Mnist;

/// <summary>
/// Scores a saved model (.vae, or a PyTorch state dict) on the test digits: the ELBO with one sample of z, the ELBO at the
/// posterior mean (deterministic, so comparable with PyTorch to float rounding) and the importance-weighted log-likelihood.
/// </summary>
internal sealed class EvaluateCommand : AsyncCommand<EvaluateSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (!File.Exists(settings.Model)) throw new FileNotFoundException($"--model: there is no file '{settings.Model}'.", settings.Model);
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);
        // Before the data, so a file that is not a model fails at once.
        using var model = ModelFiles.Load(settings.Model!, "--model");
        var folder = await DataSource.ResolveAsync(settings.Data, null, true, cancellationToken);
        using var test = MnistDataset.Load(folder, MnistSplit.Test);
        using var testRows = ModelRows.Of(model, test);

        var elbo = model.Evaluate(testRows, seed: settings.Seed);
        var elboAtMean = model.NegativeElboAtMean(testRows);
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
            Console.WriteLine(JsonLine.Serialize(new
            {
                test_elbo = -elbo.Loss,
                test_negative_elbo = elbo.Loss,
                test_negative_elbo_at_mean = elboAtMean,
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
            table.AddRow("negative ELBO at z = posterior mean", $"{elboAtMean:F2}");
            table.AddRow($"negative log-likelihood, IWAE k = {settings.K:N0}", $"{estimate.MeanNegativeLogLikelihood:F2} ± {estimate.StandardError:F2}");
            AnsiConsole.Write(table);
        }
        return 0;
    }
}
