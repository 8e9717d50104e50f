using System.Globalization;
using Spectre.Console.Cli;
using Vae.Core;
using Vae.Core.Recommendation;
using Vae.Samples;

namespace Vae.Recommendation;

/// <summary>Recommends with a saved model: each user's best unseen items from their clicks in a CSV.</summary>
internal sealed class RecommendCommand : Command<RecommendSettings>
{
    public override int Execute(CommandContext context, RecommendSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Threads is { } threads) VaeRuntime.SetCpuThreads(threads);
        using var model = VaeRecommender.Load(settings.Model!);
        var history = ClickHistory.Read(settings.History!, model.ItemIds, settings.IgnoreUnknownItems);
        var lists = model.Recommend(history.Clicks, settings.Top);
        cancellationToken.ThrowIfCancellationRequested();

        using var output = settings.Output is { } path ? new StreamWriter(path) : new StreamWriter(Console.OpenStandardOutput());
        output.WriteLine("user,rank,item,score");
        foreach (var list in lists)
        {
            for (var rank = 0; rank < list.Items.Count; rank++)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{history.Users[list.User]},{rank + 1},{model.ItemIds[list.Items[rank]]},{list.Scores[rank]:R}"));
        }
        output.Flush();
        if (settings.Output is not null)
            Console.Error.WriteLine($"{history.Users.Count:N0} users, {settings.Top} items each, written to {Path.GetFullPath(settings.Output)}" +
                (history.SkippedClicks > 0 ? $"; {history.SkippedClicks:N0} clicks on unknown items skipped" : ""));
        return 0;
    }
}
