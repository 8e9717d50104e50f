using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>Top-k lists of a scoring model, by rows of a click matrix or from a user's clicked ids in the catalogue's ids.</summary>
internal static class CatalogueRecommendations
{
    /// <summary>The <paramref name="k"/> best unclicked items for every user of <paramref name="history"/>, scored <paramref name="batchSize"/> users at a time.</summary>
    public static IReadOnlyList<UserRecommendations> ForHistory(IRecommender model, ClickMatrix history, int k, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var itemCount = model.ItemCount;
        Recommenders.CheckBatch(history, 0, history.UserCount, itemCount);
        var lists = new List<UserRecommendations>(history.UserCount);
        var take = Math.Min(k, itemCount);
        for (var start = 0; start < history.UserCount; start += batchSize)
        {
            var count = Math.Min(batchSize, history.UserCount - start);
            using var scope = NewDisposeScope();
            var scores = model.Score(history, start, count);
            var rows = new List<long>();
            var columns = new List<long>();
            for (var r = 0; r < count; r++)
            {
                foreach (var item in history.ItemsOf(start + r))
                {
                    rows.Add(r);
                    columns.Add(item);
                }
            }
            if (rows.Count > 0)
                scores.index_put_(Scalars.NegativeInfinity, tensor(rows.ToArray()), tensor(columns.ToArray()));
            var (values, indices) = scores.topk(take, dim: 1);
            var topScores = values.data<float>().ToArray();
            var topItems = indices.data<long>().ToArray();
            for (var r = 0; r < count; r++)
            {
                var available = Math.Min(take, itemCount - history.CountOf(start + r));
                lists.Add(new UserRecommendations(start + r,
                    topItems.AsSpan(r * take, available).ToArray().Select(i => (int)i).ToArray(),
                    topScores.AsSpan(r * take, available).ToArray()));
            }
        }
        return lists;
    }

    /// <summary>The <paramref name="k"/> best items for one user who clicked <paramref name="clickedItemIds"/>, in catalogue ids.</summary>
    public static IReadOnlyList<ItemRecommendation> ForIds(IRecommender model, ItemCatalogue catalogue,
        IEnumerable<string> clickedItemIds, int k, bool ignoreUnknownItems)
    {
        ArgumentNullException.ThrowIfNull(clickedItemIds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var columns = catalogue.ColumnOfId;
        var clicked = new SortedSet<int>();
        var unknown = new List<string>();
        foreach (var id in clickedItemIds)
        {
            if (id is null) throw new ArgumentException("An item id is null.", nameof(clickedItemIds));
            if (columns.TryGetValue(id, out var column)) clicked.Add(column);
            else unknown.Add(id);
        }
        if (unknown.Count > 0 && !ignoreUnknownItems)
            throw new ArgumentException(
                $"{unknown.Count} item id(s) are not in this model's catalogue of {model.ItemCount} items: {string.Join(", ", unknown.Take(5).Select(id => $"'{id}'"))}" +
                $"{(unknown.Count > 5 ? ", ..." : "")}. Pass ignoreUnknownItems: true to leave unknown items out.", nameof(clickedItemIds));
        var items = clicked.ToArray();
        var history = ClickMatrix.FromPairs(1, model.ItemCount, new int[items.Length], items);
        var list = ForHistory(model, history, k, 1)[0];
        return list.Items.Select((item, i) => new ItemRecommendation(catalogue.Ids[item], list.Scores[i])).ToArray();
    }
}
