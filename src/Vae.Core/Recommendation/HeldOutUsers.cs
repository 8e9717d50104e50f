namespace Vae.Core.Recommendation;

/// <summary>
/// Validation or test users of a strong-generalisation split: users never seen in training, whose clicks are split
/// into a fold-in part the model sees and a held-out part it must predict. Row <c>r</c> of both matrices is the
/// user whose id in the CSV files is <c>FirstUserId + r</c>, as the reference code renumbers held-out users from
/// the smallest id of the pair of files (<c>load_tr_te_data</c> in github.com/dawenl/vae_cf).
/// </summary>
/// <remarks>
/// An id between the smallest and the largest that appears in neither file gives a row without clicks in both
/// matrices; <see cref="RecommendationEvaluator"/> skips users without held-out items.
/// </remarks>
public sealed class HeldOutUsers
{
    /// <summary>Pairs a fold-in and a held-out matrix of the same users and items.</summary>
    /// <param name="foldIn">The clicks the model is given (the <c>*_tr.csv</c> file).</param>
    /// <param name="heldOut">The clicks to predict (the <c>*_te.csv</c> file).</param>
    /// <param name="firstUserId">The CSV user id of row 0.</param>
    /// <exception cref="ArgumentException">The matrices differ in shape, or a user has held-out clicks but no fold-in clicks.</exception>
    public HeldOutUsers(ClickMatrix foldIn, ClickMatrix heldOut, int firstUserId)
    {
        ArgumentNullException.ThrowIfNull(foldIn);
        ArgumentNullException.ThrowIfNull(heldOut);
        if (foldIn.UserCount != heldOut.UserCount || foldIn.ItemCount != heldOut.ItemCount)
            throw new ArgumentException(
                $"The fold-in matrix is {foldIn.UserCount} x {foldIn.ItemCount} but the held-out matrix is {heldOut.UserCount} x {heldOut.ItemCount}; they must describe the same users and items.",
                nameof(heldOut));
        for (var row = 0; row < foldIn.UserCount; row++)
        {
            if (foldIn.CountOf(row) == 0 && heldOut.CountOf(row) > 0)
                throw new ArgumentException(
                    $"User {firstUserId + row} has held-out clicks but no fold-in clicks; a model cannot recommend from an empty history.",
                    nameof(foldIn));
        }
        FoldIn = foldIn;
        HeldOut = heldOut;
        FirstUserId = firstUserId;
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
        var first = foldInUsers.Concat(heldOutUsers).Min();
        var userCount = foldInUsers.Concat(heldOutUsers).Max() - first + 1;
        return new HeldOutUsers(
            ClickMatrix.FromPairs(userCount, itemCount, foldInUsers.Select(u => u - first).ToArray(), foldInItems.ToArray()),
            ClickMatrix.FromPairs(userCount, itemCount, heldOutUsers.Select(u => u - first).ToArray(), heldOutItems.ToArray()),
            first);
    }

    /// <summary>The clicks a model is given to infer each user's taste.</summary>
    public ClickMatrix FoldIn { get; }

    /// <summary>The clicks a model must rank highly; disjoint from <see cref="FoldIn"/> in data made by <see cref="ReferenceSplit"/>.</summary>
    public ClickMatrix HeldOut { get; }

    /// <summary>The user id of row 0 in the CSV files.</summary>
    public int FirstUserId { get; }

    /// <summary>The number of rows (users).</summary>
    public int UserCount => FoldIn.UserCount;

    /// <summary>The user id in the CSV files of row <paramref name="row"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row.</exception>
    public int UserIdOf(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, UserCount);
        return FirstUserId + row;
    }
}
