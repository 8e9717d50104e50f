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
        HeldOutUsers? validation = null;
        using var ease = settings.BlendEase ? FitEase(settings.Data!, model, out validation) : null;
        var blend = ease is null ? null : BlendedRecommender.Fit(model, ease, validation!);
        var lists = blend?.Recommend(history.Clicks, settings.Top) ?? model.Recommend(history.Clicks, settings.Top);
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
        if (settings.Json)
        {
            Console.WriteLine(JsonLine.Serialize(new
            {
                users = history.Users.Count,
                top = settings.Top,
                skipped_clicks = history.SkippedClicks,
                model = model is RecVae ? "recvae" : "multvae",
                blend_vae_weight = blend?.Weights[0],
                blend_validation_ndcg_at_100 = blend?.ValidationNdcg,
                output = Path.GetFullPath(settings.Output!),
            }));
            return 0;
        }
        if (blend is not null)
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"blended with EASE: the model's weight {blend.Weights[0]:0.0#} (validation NDCG@100 {blend.ValidationNdcg:F4})"));
        if (settings.Output is not null)
            Console.Error.WriteLine($"{history.Users.Count:N0} users, {settings.Top} items each, written to {Path.GetFullPath(settings.Output)}" +
                (history.SkippedClicks > 0 ? $"; {history.SkippedClicks:N0} clicks on unknown items skipped" : ""));
        return 0;
    }

    // EASE fitted to the training clicks of the folder the model was trained on: the same fit, and so the same blend
    // weight, as the training run's --blend-ease.
    private static EaseRecommender FitEase(string folder, VaeRecommender model, out HeldOutUsers validation)
    {
        var data = ImplicitFeedbackFolder.Read(folder);
        if (!data.ItemIds.SequenceEqual(model.ItemIds))
            throw new InvalidDataException(
                $"The catalogue of --data '{folder}' ({data.ItemCount:N0} items) is not the model's ({model.ItemCount:N0} items): blend with the folder the model was trained on.");
        validation = data.Validation;
        return EaseRecommender.Fit(data.Train);
    }
}
