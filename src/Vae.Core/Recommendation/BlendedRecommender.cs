using static TorchSharp.torch;

namespace Vae.Core.Recommendation;

/// <summary>
/// Several recommenders scored as one: each one's scores of a user are standardised over the items (minus their mean,
/// over their standard deviation), then added with weights. Standardised, scores that live on different scales (a
/// VAE's logits, EASE's regression outputs, popularity counts) count by their weight alone, and shifting one model's
/// scores of a user by a constant (logits against log-softmax) changes nothing.
/// </summary>
/// <remarks>
/// A VAE and EASE make different errors: a VAE infers a user's tastes through a low-dimensional code, EASE adds up
/// item-to-item weights of every click. Blended with the weight <see cref="Fit"/> picks on the validation users, the two
/// together rank the held-out clicks better than either alone on the sample's synthetic data (docs/recommendation.md).
/// The blend scores through its parts and owns none of them: dispose them yourself.
/// </remarks>
public sealed class BlendedRecommender : IRecommender
{
    // A user whose scores are all equal (nothing to rank by) standardises to zeros rather than to a division by zero.
    private const double SmallestDeviation = 1e-12;

    private readonly IRecommender[] _recommenders;
    private readonly double[] _weights;
    private readonly ItemCatalogue? _catalogue;

    /// <summary>Blends <paramref name="recommenders"/> with the given weights.</summary>
    /// <param name="recommenders">Two or more recommenders of the same items.</param>
    /// <param name="weights">One weight per recommender: finite, not negative, not all zero.</param>
    /// <exception cref="ArgumentException">Fewer than two recommenders, a count of weights that differs, recommenders of different item counts, or a weight out of range; the message names it.</exception>
    public BlendedRecommender(IReadOnlyList<IRecommender> recommenders, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(recommenders);
        ArgumentNullException.ThrowIfNull(weights);
        if (recommenders.Count < 2)
            throw new ArgumentException($"A blend needs at least two recommenders, not {recommenders.Count}.", nameof(recommenders));
        if (weights.Count != recommenders.Count)
            throw new ArgumentException($"{weights.Count} weights for {recommenders.Count} recommenders: give one weight per recommender.", nameof(weights));
        for (var i = 0; i < recommenders.Count; i++)
        {
            if (recommenders[i] is null) throw new ArgumentException($"Recommender {i} is null.", nameof(recommenders));
            if (recommenders[i].ItemCount != recommenders[0].ItemCount)
                throw new ArgumentException(
                    $"Recommender {i} ({recommenders[i].GetType().Name}) scores {recommenders[i].ItemCount} items, recommender 0 ({recommenders[0].GetType().Name}) {recommenders[0].ItemCount}: a blend needs the same items.",
                    nameof(recommenders));
            if (!(weights[i] >= 0) || !double.IsFinite(weights[i]))
                throw new ArgumentException($"Weight {i} is {weights[i]}; weights must be finite and not negative.", nameof(weights));
        }
        if (weights.All(w => w == 0)) throw new ArgumentException("Every weight is 0: at least one recommender must count.", nameof(weights));
        // The catalogue of ids comes from the parts that have one (the VAEs); they must agree on it.
        var catalogues = recommenders.OfType<VaeRecommender>().ToArray();
        for (var i = 1; i < catalogues.Length; i++)
        {
            if (!catalogues[i].ItemIds.SequenceEqual(catalogues[0].ItemIds))
                throw new ArgumentException("The blended VAEs hold different item ids (or the same ids in another order): a blend needs one catalogue.", nameof(recommenders));
        }
        _catalogue = catalogues.Length > 0 ? new ItemCatalogue(catalogues[0].ItemIds) : null;
        _recommenders = [.. recommenders];
        _weights = [.. weights];
        ItemCount = recommenders[0].ItemCount;
    }

    /// <summary>The recommenders blended, in the order of <see cref="Weights"/>.</summary>
    public IReadOnlyList<IRecommender> Recommenders => _recommenders;

    /// <summary>Each recommender's weight.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>The validation users' mean NDCG at the blend's weights, when <see cref="Fit"/> chose them; otherwise null.</summary>
    public double? ValidationNdcg { get; private init; }

    /// <inheritdoc />
    public int ItemCount { get; }

    /// <summary>The original id of every item, in column order: those of the blended VAEs; null when no part is a <see cref="VaeRecommender"/>.</summary>
    public IReadOnlyList<string>? ItemIds => _catalogue?.Ids;

    /// <summary>The <paramref name="k"/> best unclicked items of every user of <paramref name="history"/> by the blended scores, best first, with those scores.</summary>
    /// <param name="history">The users' clicks, with <see cref="ItemCount"/> items.</param>
    /// <param name="k">How many items per user; a user who has seen all but fewer gets fewer.</param>
    /// <param name="batchSize">Users scored at once.</param>
    /// <exception cref="ArgumentException"><paramref name="history"/> does not have <see cref="ItemCount"/> items.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="batchSize"/> is not positive.</exception>
    public IReadOnlyList<UserRecommendations> Recommend(ClickMatrix history, int k, int batchSize = 2000) =>
        CatalogueRecommendations.ForHistory(this, history, k, batchSize);

    /// <summary>
    /// The <paramref name="k"/> best items for one user given the ids of the items the user clicked, in the blended
    /// VAEs' catalogue ids (<see cref="ItemIds"/>), as <see cref="VaeRecommender.Recommend(IEnumerable{string}, int, bool)"/> does.
    /// </summary>
    /// <param name="clickedItemIds">The ids of the items the user clicked.</param>
    /// <param name="k">How many items.</param>
    /// <param name="ignoreUnknownItems">False (the default) throws for an id the catalogue does not hold; true leaves it out.</param>
    /// <returns>The recommended items, best first, with their blended scores.</returns>
    /// <exception cref="InvalidOperationException">No blended recommender has item ids (none is a <see cref="VaeRecommender"/>).</exception>
    /// <exception cref="ArgumentException">An id is unknown and <paramref name="ignoreUnknownItems"/> is false, or an id is null.</exception>
    public IReadOnlyList<ItemRecommendation> Recommend(IEnumerable<string> clickedItemIds, int k, bool ignoreUnknownItems = false)
    {
        var catalogue = _catalogue ?? throw new InvalidOperationException(
            "None of the blended recommenders has item ids (a VaeRecommender does): recommend by rows of a ClickMatrix instead.");
        return CatalogueRecommendations.ForIds(this, catalogue, clickedItemIds, k, ignoreUnknownItems);
    }

    /// <summary>The weighted sum of every recommender's standardised scores of the users.</summary>
    /// <inheritdoc />
    public Tensor Score(ClickMatrix history, int firstUser, int count)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.ItemCount != ItemCount)
            throw new ArgumentException($"The history has {history.ItemCount} items but the blend scores {ItemCount}.", nameof(history));
        using var scope = NewDisposeScope();
        using var scalars = new ScalarScope();
        Tensor? sum = null;
        for (var i = 0; i < _recommenders.Length; i++)
        {
            if (_weights[i] == 0) continue;
            var scores = _recommenders[i].Score(history, firstUser, count).to_type(ScalarType.Float64);
            var mean = scores.mean([1], keepdim: true);
            var deviation = scores.std(1, unbiased: false, keepdim: true).clamp_min(scalars[SmallestDeviation]);
            var weighted = scores.sub(mean).div(deviation).mul(scalars[_weights[i]]);
            sum = sum is null ? weighted : sum.add(weighted, Scalars.One);
        }
        return sum!.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Blends two recommenders with the weight of <paramref name="first"/> (that of <paramref name="second"/> is one
    /// minus it) that gives the validation users the best mean NDCG at the first cutoff of <paramref name="ranking"/>;
    /// of equally good weights the smallest.
    /// </summary>
    /// <param name="first">A recommender, a VAE say.</param>
    /// <param name="second">A recommender of the same items, EASE say.</param>
    /// <param name="validation">The users whose held-out clicks choose the weight (never the test users).</param>
    /// <param name="candidateWeights">The weights of <paramref name="first"/> tried, each from 0 to 1; 0, 0.1, ..., 1 by default.</param>
    /// <param name="ranking">The metric's cutoff and the scoring batch size; NDCG@100 by default.</param>
    /// <returns>The blend, with <see cref="ValidationNdcg"/> set.</returns>
    /// <exception cref="ArgumentException">The recommenders score different item counts or <paramref name="validation"/> others, no candidate is given, or one lies outside [0, 1].</exception>
    public static BlendedRecommender Fit(IRecommender first, IRecommender second, HeldOutUsers validation,
        IReadOnlyList<double>? candidateWeights = null, RankingOptions? ranking = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(validation);
        candidateWeights ??= Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();
        if (candidateWeights.Count == 0) throw new ArgumentException("No candidate weight to try.", nameof(candidateWeights));
        foreach (var w in candidateWeights)
        {
            if (!(w >= 0 && w <= 1)) throw new ArgumentException($"The candidate weight {w} lies outside [0, 1].", nameof(candidateWeights));
        }
        if (validation.FoldIn.ItemCount != first.ItemCount)
            throw new ArgumentException($"The validation users have {validation.FoldIn.ItemCount} items but the recommenders score {first.ItemCount}.", nameof(validation));
        ranking ??= new RankingOptions { NdcgCutoffs = [100], RecallCutoffs = [] };
        ranking.Validate();
        if (ranking.NdcgCutoffs.Count == 0) throw new ArgumentException("The ranking options name no NDCG cutoff to choose the weight by.", nameof(ranking));
        var cutoff = ranking.NdcgCutoffs[0];

        var (bestWeight, bestNdcg) = (double.NaN, double.NegativeInfinity);
        foreach (var w in candidateWeights.Order())
        {
            var ndcg = RecommendationEvaluator.Evaluate(new BlendedRecommender([first, second], [w, 1 - w]), validation, ranking).MeanNdcg(cutoff);
            if (double.IsNaN(bestWeight) || ndcg > bestNdcg) (bestWeight, bestNdcg) = (w, ndcg);
        }
        return new BlendedRecommender([first, second], [bestWeight, 1 - bestWeight]) { ValidationNdcg = bestNdcg };
    }
}
