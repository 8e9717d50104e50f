namespace Vae.Core.Recommendation;

/// <summary>
/// Implicit feedback split for strong generalisation as in Liang et al. (WWW 2018): training users with all their
/// clicks, and disjoint validation and test users whose clicks are split into fold-in and held-out parts. Item
/// <c>i</c> of every matrix is the item whose original id is <c>ItemIds[i]</c> (line <c>i</c> of
/// <c>unique_sid.txt</c>).
/// </summary>
public sealed class ImplicitFeedbackData
{
    /// <summary>Bundles the parts of a split.</summary>
    /// <param name="itemIds">The original id of every item, without repeats.</param>
    /// <param name="train">The training clicks; row <c>u</c> is the user with id <c>u</c> in <c>train.csv</c>.</param>
    /// <param name="validation">The validation users.</param>
    /// <param name="test">The test users.</param>
    /// <exception cref="ArgumentException">A matrix does not have one column per item, or an item id repeats.</exception>
    public ImplicitFeedbackData(IReadOnlyList<string> itemIds, ClickMatrix train, HeldOutUsers validation, HeldOutUsers test)
        : this(itemIds, train, Enumerable.Range(0, train?.UserCount ?? 0).ToArray(), validation, test)
    {
    }

    /// <summary>Bundles the parts of a split, naming the <c>train.csv</c> user id of every training row.</summary>
    /// <param name="itemIds">The original id of every item, without repeats.</param>
    /// <param name="train">The training clicks; row <c>r</c> is the user with id <c>trainUserIds[r]</c> in <c>train.csv</c>.</param>
    /// <param name="trainUserIds">The user id of each training row, strictly ascending and non-negative.</param>
    /// <param name="validation">The validation users.</param>
    /// <param name="test">The test users.</param>
    /// <exception cref="ArgumentException">A matrix does not have one column per item, an item id repeats, or the user ids are not one per training row, strictly ascending.</exception>
    public ImplicitFeedbackData(IReadOnlyList<string> itemIds, ClickMatrix train, IReadOnlyList<int> trainUserIds, HeldOutUsers validation, HeldOutUsers test)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(trainUserIds);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(test);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in itemIds)
        {
            if (!seen.Add(id))
                throw new ArgumentException($"Item id '{id}' is listed twice; every item needs its own id.", nameof(itemIds));
        }
        foreach (var (name, columns) in new[] { ("train", train.ItemCount), ("validation", validation.FoldIn.ItemCount), ("test", test.FoldIn.ItemCount) })
        {
            if (columns != itemIds.Count)
                throw new ArgumentException($"The {name} matrix has {columns} items but {itemIds.Count} item ids were given.", nameof(itemIds));
        }
        ItemIds = itemIds.ToArray();
        Train = train;
        TrainUserIds = HeldOutUsers.CheckUserIds(trainUserIds, train.UserCount, nameof(trainUserIds));
        Validation = validation;
        Test = test;
    }

    /// <summary>The original id of every item (a movie id for MovieLens), in column order.</summary>
    public IReadOnlyList<string> ItemIds { get; }

    /// <summary>The number of items.</summary>
    public int ItemCount => ItemIds.Count;

    /// <summary>The training users' clicks; row <c>r</c> is user id <c>TrainUserIds[r]</c> of <c>train.csv</c>.</summary>
    public ClickMatrix Train { get; }

    /// <summary>
    /// The <c>train.csv</c> user id of every row of <see cref="Train"/>, strictly ascending: the distinct ids renumbered
    /// densely, so an id is never a row index (ids 0 to n - 1, as the reference preprocessing writes, give rows 0 to n - 1).
    /// </summary>
    public IReadOnlyList<int> TrainUserIds { get; }

    /// <summary>The validation users (<c>validation_tr.csv</c> and <c>validation_te.csv</c>).</summary>
    public HeldOutUsers Validation { get; }

    /// <summary>The test users (<c>test_tr.csv</c> and <c>test_te.csv</c>).</summary>
    public HeldOutUsers Test { get; }
}
