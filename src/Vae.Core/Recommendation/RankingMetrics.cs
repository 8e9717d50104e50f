namespace Vae.Core.Recommendation;

/// <summary>
/// The ranking metrics of Liang et al., "Variational Autoencoders for Collaborative Filtering" (WWW 2018), as their
/// reference code (github.com/dawenl/vae_cf, functions <c>NDCG_binary_at_k_batch</c> and <c>Recall_at_k_batch</c>)
/// computes them for one user with binary relevance.
/// </summary>
/// <remarks>
/// Both metrics are normalised by <c>min(k, number of held-out items)</c>, so a user with fewer held-out items than
/// <c>k</c> can still reach 1. Rankings are deterministic: higher score first, and among equal scores the lower
/// item index first.
/// </remarks>
public static class RankingMetrics
{
    /// <summary>
    /// The <paramref name="k"/> best items by score, best first, with the <paramref name="excludedItems"/> (a user's
    /// fold-in clicks) scored minus infinity as in the reference code, so they come last.
    /// </summary>
    /// <param name="scores">A score per item; higher is better. NaN is refused.</param>
    /// <param name="k">How many items to return; at most the number of items are returned.</param>
    /// <param name="excludedItems">Items never to recommend ahead of any other item, in any order.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not positive, or an excluded item is not an item.</exception>
    /// <exception cref="ArgumentException">A score is NaN; the message names the item.</exception>
    public static int[] TopItems(ReadOnlySpan<float> scores, int k, ReadOnlySpan<int> excludedItems)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var adjusted = scores.ToArray();
        for (var item = 0; item < adjusted.Length; item++)
        {
            if (float.IsNaN(adjusted[item]))
                throw new ArgumentException($"The score of item {item} is NaN; a model that produced it cannot be ranked.", nameof(scores));
        }
        foreach (var item in excludedItems)
        {
            if ((uint)item >= (uint)adjusted.Length)
                throw new ArgumentOutOfRangeException(nameof(excludedItems), item, $"Excluded item {item} is outside 0-{adjusted.Length - 1}.");
            adjusted[item] = float.NegativeInfinity;
        }
        return SelectTop(adjusted, Math.Min(k, adjusted.Length));
    }

    /// <summary>
    /// Normalised discounted cumulative gain at <paramref name="k"/> with binary relevance:
    /// <c>DCG = sum over the first k ranked items of [item held out] / log2(rank + 1)</c> (ranks from 1), divided by
    /// the DCG of a perfect ranking of <c>min(k, heldOutItems.Length)</c> held-out items.
    /// </summary>
    /// <param name="rankedItems">Items best first; only the first <paramref name="k"/> count.</param>
    /// <param name="heldOutItems">The items to predict, in any order, without repeats.</param>
    /// <param name="k">The cut-off, positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="heldOutItems"/> is empty (the metric is undefined) or has repeats.</exception>
    public static double NdcgAtK(ReadOnlySpan<int> rankedItems, ReadOnlySpan<int> heldOutItems, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var heldOut = SortedSet(heldOutItems);
        var dcg = 0.0;
        var cutoff = Math.Min(k, rankedItems.Length);
        for (var rank = 0; rank < cutoff; rank++)
        {
            if (Array.BinarySearch(heldOut, rankedItems[rank]) >= 0)
                dcg += Discount(rank);
        }
        var idcg = 0.0;
        var ideal = Math.Min(k, heldOut.Length);
        for (var rank = 0; rank < ideal; rank++)
            idcg += Discount(rank);
        return dcg / idcg;
    }

    /// <summary>
    /// Recall at <paramref name="k"/> as the reference code defines it: the number of held-out items among the first
    /// <paramref name="k"/> ranked items, divided by <c>min(k, heldOutItems.Length)</c> (not by the number of
    /// held-out items).
    /// </summary>
    /// <param name="rankedItems">Items best first; only the first <paramref name="k"/> count.</param>
    /// <param name="heldOutItems">The items to predict, in any order, without repeats.</param>
    /// <param name="k">The cut-off, positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="heldOutItems"/> is empty (the metric is undefined) or has repeats.</exception>
    public static double RecallAtK(ReadOnlySpan<int> rankedItems, ReadOnlySpan<int> heldOutItems, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var heldOut = SortedSet(heldOutItems);
        var hits = 0;
        var cutoff = Math.Min(k, rankedItems.Length);
        for (var rank = 0; rank < cutoff; rank++)
        {
            if (Array.BinarySearch(heldOut, rankedItems[rank]) >= 0)
                hits++;
        }
        return (double)hits / Math.Min(k, heldOut.Length);
    }

    /// <summary>The gain of a hit at zero-based position <paramref name="rank"/>: <c>1 / log2(rank + 2)</c>.</summary>
    private static double Discount(int rank) => 1.0 / Math.Log2(rank + 2);

    private static int[] SortedSet(ReadOnlySpan<int> items)
    {
        if (items.IsEmpty)
            throw new ArgumentException("There are no held-out items; the metric is undefined for this user.", "heldOutItems");
        var sorted = items.ToArray();
        Array.Sort(sorted);
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] == sorted[i - 1])
                throw new ArgumentException($"Held-out item {sorted[i]} is listed twice.", "heldOutItems");
        }
        return sorted;
    }

    /// <summary>Whether <paramref name="a"/> ranks ahead of <paramref name="b"/>: higher score, then lower index.</summary>
    private static bool Ahead(float[] scores, int a, int b) => scores[a] > scores[b] || (scores[a] == scores[b] && a < b);

    /// <summary>The top <paramref name="k"/> by <see cref="Ahead"/>: a size-k heap whose root is the worst kept item, O(n log k).</summary>
    private static int[] SelectTop(float[] scores, int k)
    {
        if (k == 0)
            return [];
        var heap = new int[k];
        var size = 0;
        for (var item = 0; item < scores.Length; item++)
        {
            if (size < k)
            {
                heap[size] = item;
                SiftUp(heap, size++, scores);
            }
            else if (Ahead(scores, item, heap[0]))
            {
                heap[0] = item;
                SiftDown(heap, size, scores);
            }
        }
        var sorted = heap[..size];
        Array.Sort(sorted, (a, b) => a == b ? 0 : Ahead(scores, a, b) ? -1 : 1);
        return sorted;
    }

    private static void SiftUp(int[] heap, int index, float[] scores)
    {
        while (index > 0)
        {
            var parent = (index - 1) / 2;
            if (!Ahead(scores, heap[parent], heap[index]))
                break;
            (heap[parent], heap[index]) = (heap[index], heap[parent]);
            index = parent;
        }
    }

    private static void SiftDown(int[] heap, int size, float[] scores)
    {
        var index = 0;
        while (true)
        {
            var (left, right, worst) = (2 * index + 1, 2 * index + 2, index);
            if (left < size && Ahead(scores, heap[worst], heap[left]))
                worst = left;
            if (right < size && Ahead(scores, heap[worst], heap[right]))
                worst = right;
            if (worst == index)
                return;
            (heap[worst], heap[index]) = (heap[index], heap[worst]);
            index = worst;
        }
    }
}
