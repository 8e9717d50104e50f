namespace Vae.Core.Recommendation;

/// <summary>
/// Validation or test users of a strong-generalisation split: users never seen in training, whose clicks are split
/// into a fold-in part the model sees and a held-out part it must predict. Row <c>r</c> of both matrices is the
/// user whose id in the CSV files is <c>UserIds[r]</c>: the distinct ids of the pair of files in ascending order,
/// renumbered densely, so an id is never a row index and a huge id costs one row. For the contiguous ids of the
/// reference preprocessing this is the reference loader's numbering from the smallest id (<c>load_tr_te_data</c> in
/// github.com/dawenl/vae_cf).
/// </summary>
/// <remarks>
/// <see cref="RecommendationEvaluator"/> skips users without held-out items.
/// </remarks>
public sealed class HeldOutUsers : TrainingData
{
    /// <summary>Pairs a fold-in and a held-out matrix of the same users and items.</summary>
    /// <param name="foldIn">The clicks the model is given (the <c>*_tr.csv</c> file).</param>
    /// <param name="heldOut">The clicks to predict (the <c>*_te.csv</c> file).</param>
    /// <param name="firstUserId">The CSV user id of row 0, non-negative; row <c>r</c> is user <c>firstUserId + r</c>.</param>
    /// <exception cref="ArgumentException">The matrices differ in shape, or a user has held-out clicks but no fold-in clicks.</exception>
    public HeldOutUsers(ClickMatrix foldIn, ClickMatrix heldOut, int firstUserId)
        : this(foldIn, heldOut, Contiguous(firstUserId, foldIn))
    {
    }

    /// <summary>Pairs a fold-in and a held-out matrix of the same users and items, naming the CSV user id of every row.</summary>
    /// <param name="foldIn">The clicks the model is given (the <c>*_tr.csv</c> file).</param>
    /// <param name="heldOut">The clicks to predict (the <c>*_te.csv</c> file).</param>
    /// <param name="userIds">The CSV user id of each row, strictly ascending and non-negative; one per row.</param>
    /// <exception cref="ArgumentException">The matrices differ in shape, the ids are not one per row or not strictly ascending, or a user has held-out clicks but no fold-in clicks.</exception>
    public HeldOutUsers(ClickMatrix foldIn, ClickMatrix heldOut, IReadOnlyList<int> userIds)
    {
        ArgumentNullException.ThrowIfNull(foldIn);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (foldIn.UserCount != heldOut.UserCount || foldIn.ItemCount != heldOut.ItemCount)
            throw new ArgumentException(
                $"The fold-in matrix is {foldIn.UserCount} x {foldIn.ItemCount} but the held-out matrix is {heldOut.UserCount} x {heldOut.ItemCount}; they must describe the same users and items.",
                nameof(heldOut));
        ArgumentNullException.ThrowIfNull(userIds);
        var ids = CheckUserIds(userIds, foldIn.UserCount, nameof(userIds));
        for (var row = 0; row < foldIn.UserCount; row++)
        {
            if (foldIn.CountOf(row) == 0 && heldOut.CountOf(row) > 0)
                throw new ArgumentException(
                    $"User {ids[row]} has held-out clicks but no fold-in clicks; a model cannot recommend from an empty history.",
                    nameof(foldIn));
        }
        FoldIn = foldIn;
        HeldOut = heldOut;
        this.userIds = ids;
    }

    private readonly int[] userIds;

    /// <summary>Row ids <paramref name="first"/>, <paramref name="first"/> + 1, ... for every row of <paramref name="matrix"/>.</summary>
    private static int[] Contiguous(int first, ClickMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfNegative(first, "firstUserId");
        return Enumerable.Range(0, matrix.UserCount).Select(r => first + r).ToArray();
    }

    /// <summary>Checks that <paramref name="ids"/> has one non-negative id per row, strictly ascending.</summary>
    internal static int[] CheckUserIds(IReadOnlyList<int> ids, int rows, string parameter)
    {
        if (ids.Count != rows)
            throw new ArgumentException($"{ids.Count} user ids were given for {rows} rows; every row needs its id.", parameter);
        var copy = ids.ToArray();
        for (var i = 0; i < copy.Length; i++)
        {
            if (copy[i] < 0)
                throw new ArgumentException($"User id {copy[i]} (row {i}) is negative; ids start at 0.", parameter);
            if (i > 0 && copy[i] <= copy[i - 1])
                throw new ArgumentException($"User id {copy[i]} (row {i}) does not follow {copy[i - 1]}; the ids must be strictly ascending.", parameter);
        }
        return copy;
    }

    /// <summary>
    /// Builds the matrices from CSV-style user ids, renumbered from the smallest id of either part as the reference
    /// loader does; with no clicks at all, an empty set of users.
    /// </summary>
    internal static HeldOutUsers FromUserIds(IReadOnlyList<int> foldInUsers, IReadOnlyList<int> foldInItems,
        IReadOnlyList<int> heldOutUsers, IReadOnlyList<int> heldOutItems, int itemCount)
    {
        if (foldInUsers.Count == 0 && heldOutUsers.Count == 0)
            return new HeldOutUsers(ClickMatrix.Empty(0, itemCount), ClickMatrix.Empty(0, itemCount), 0);
        var ids = DistinctAscending(foldInUsers.Concat(heldOutUsers));
        var rowOf = RowsOf(ids);
        return new HeldOutUsers(
            ClickMatrix.FromPairs(ids.Length, itemCount, foldInUsers.Select(u => rowOf[u]).ToArray(), foldInItems.ToArray()),
            ClickMatrix.FromPairs(ids.Length, itemCount, heldOutUsers.Select(u => rowOf[u]).ToArray(), heldOutItems.ToArray()),
            ids);
    }

    /// <summary>The distinct ids in ascending order: row <c>r</c> is user <c>ids[r]</c>.</summary>
    internal static int[] DistinctAscending(IEnumerable<int> ids) => ids.Distinct().Order().ToArray();

    /// <summary>The row of each id of <paramref name="ids"/>.</summary>
    internal static Dictionary<int, int> RowsOf(int[] ids)
    {
        var rows = new Dictionary<int, int>(ids.Length);
        for (var r = 0; r < ids.Length; r++) rows.Add(ids[r], r);
        return rows;
    }

    /// <summary>The clicks a model is given to infer each user's taste.</summary>
    public ClickMatrix FoldIn { get; }

    /// <summary>The clicks a model must rank highly; disjoint from <see cref="FoldIn"/> in data made by <see cref="ReferenceSplit"/>.</summary>
    public ClickMatrix HeldOut { get; }

    /// <summary>The user id of row 0 in the CSV files; 0 when there are no users.</summary>
    public int FirstUserId => userIds.Length == 0 ? 0 : userIds[0];

    /// <summary>The CSV user id of every row, strictly ascending.</summary>
    public IReadOnlyList<int> UserIds => userIds;

    /// <summary>The number of rows (users).</summary>
    public int UserCount => FoldIn.UserCount;

    /// <summary>The number of users, as <see cref="VaeTrainer"/> counts validation samples (<see cref="UserCount"/>).</summary>
    public override long Count => UserCount;

    /// <summary>The user id in the CSV files of row <paramref name="row"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row.</exception>
    public int UserIdOf(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, UserCount);
        return userIds[row];
    }
}
