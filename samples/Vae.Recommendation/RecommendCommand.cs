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
        var (ease, blend) = settings.BlendEase ? Blend(settings.Data!, model) : default;
        using var easeModel = ease;
        var lists = blend?.Recommend(history.Clicks, settings.Top) ?? model.Recommend(history.Clicks, settings.Top);
        cancellationToken.ThrowIfCancellationRequested();

        void WriteLists(Stream stream)
        {
            using var output = new StreamWriter(stream, leaveOpen: true);
            output.WriteLine("user,rank,item,score");
            foreach (var list in lists)
            {
                for (var rank = 0; rank < list.Items.Count; rank++)
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{history.Users[list.User]},{rank + 1},{model.ItemIds[list.Items[rank]]},{list.Scores[rank]:R}"));
            }
        }
        // A file given by --output is replaced whole or not at all, as the training run's --predictions.
        if (settings.Output is { } path) AtomicFile.Write(path, WriteLists);
        else
        {
            using var standardOutput = Console.OpenStandardOutput();
            WriteLists(standardOutput);
        }
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

    // EASE fitted to the training clicks of the folder the model was trained on and the blend's weight chosen on its
    // validation users: the same fit, and so the same weight, as the training run's --blend-ease.
    private static (EaseRecommender Ease, BlendedRecommender Blend) Blend(string folder, VaeRecommender model)
    {
        var data = ImplicitFeedbackFolder.Read(folder);
        if (!data.ItemIds.SequenceEqual(model.ItemIds))
            throw new InvalidDataException(
                $"The catalogue of --data '{folder}' ({data.ItemCount:N0} items) is not the model's ({model.ItemCount:N0} items): blend with the folder the model was trained on.");
        var ease = EaseRecommender.Fit(data.Train);
        return (ease, BlendedRecommender.Fit(model, ease, data.Validation));
    }
}
