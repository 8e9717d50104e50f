using System.Globalization;

namespace Vae.Core.Recommendation;

/// <summary>
/// The strong-generalisation split of the Mult-VAE reference preprocessing (github.com/dawenl/vae_cf, notebook
/// <c>VAE_ML20M_WWW2018.ipynb</c>), step for step, with NumPy's legacy random generator so that the same clicks and
/// seed select the same users and held-out clicks:
/// <list type="number">
/// <item>drop items with fewer than <see cref="ReferenceSplitOptions.MinItemUsers"/> clicks, then users with fewer
/// than <see cref="ReferenceSplitOptions.MinUserClicks"/>;</item>
/// <item>shuffle the remaining users (sorted by id) with <c>np.random.seed(seed); permutation(n)</c>; the last
/// 2 x <see cref="ReferenceSplitOptions.HeldOutUsers"/> become validation then test users, the rest training
/// users, numbered in that shuffled order;</item>
/// <item>the items are those of the training clicks, numbered by first appearance;</item>
/// <item>each held-out user's clicks on those items, in input order, lose a random
/// <see cref="ReferenceSplitOptions.HeldOutFraction"/> (rounded down) to the part to predict, drawn with
/// <c>choice(n, size, replace=False)</c> after re-seeding, users taken by ascending id; users with fewer than
/// <see cref="ReferenceSplitOptions.MinClicksToHoldOut"/> such clicks keep all as fold-in.</item>
/// </list>
/// </summary>
public static class ReferenceSplit
{
    /// <summary>Splits clicks given as (user id, item id) pairs in input order (the order matters for step 3 and 4).</summary>
    /// <param name="users">The original user id of each click.</param>
    /// <param name="items">The original item id of each click; <see cref="ImplicitFeedbackData.ItemIds"/> holds them as invariant-culture text.</param>
    /// <param name="options">The reference's parameters by default.</param>
    /// <exception cref="ArgumentException">The spans differ in length, an option is out of range, or too few users remain for the held-out sets and at least one training user.</exception>
    public static ImplicitFeedbackData Split(ReadOnlySpan<long> users, ReadOnlySpan<long> items, ReferenceSplitOptions? options = null)
    {
        options ??= new ReferenceSplitOptions();
        options.Validate();
        if (users.Length != items.Length)
            throw new ArgumentException($"{users.Length} users and {items.Length} items were given; give one of each per click.", nameof(items));

        var kept = Enumerable.Range(0, users.Length).ToList();
        if (options.MinItemUsers > 0)
        {
            var itemClicks = CountBy(kept, items);
            var itemArray = items.ToArray();
            kept = kept.Where(i => itemClicks[itemArray[i]] >= options.MinItemUsers).ToList();
        }
        var userArray = users.ToArray();
        var userClicks = CountBy(kept, users);
        kept = kept.Where(i => userClicks[userArray[i]] >= options.MinUserClicks).ToList();

        var sortedUsers = kept.Select(i => userArray[i]).Distinct().Order().ToArray();
        var heldOutTotal = 2L * options.HeldOutUsers;
        if (sortedUsers.Length <= heldOutTotal)
            throw new ArgumentException(
                $"{sortedUsers.Length} users have at least {options.MinUserClicks} clicks, but 2 x {options.HeldOutUsers} held-out users and at least one training user are needed; lower HeldOutUsers.",
                nameof(options));
        var random = new NumpyRandomState(options.Seed);
        var permutation = random.Permutation(sortedUsers.Length);
        var uidOf = new Dictionary<long, int>(sortedUsers.Length);
        for (var uid = 0; uid < permutation.Length; uid++)
            uidOf[sortedUsers[permutation[uid]]] = uid;
        var trainUsers = sortedUsers.Length - (int)heldOutTotal;
        var validationStart = trainUsers;
        var testStart = trainUsers + options.HeldOutUsers;

        var itemArrayAll = items.ToArray();
        var trainClicks = kept.Where(i => uidOf[userArray[i]] < validationStart).ToArray();
        var sidOf = new Dictionary<long, int>();
        var itemIds = new List<string>();
        foreach (var i in trainClicks)
        {
            if (sidOf.TryAdd(itemArrayAll[i], sidOf.Count))
                itemIds.Add(itemArrayAll[i].ToString(CultureInfo.InvariantCulture));
        }
        var train = ClickMatrix.FromPairs(trainUsers, itemIds.Count,
            trainClicks.Select(i => uidOf[userArray[i]]).ToArray(), trainClicks.Select(i => sidOf[itemArrayAll[i]]).ToArray());

        HeldOutUsers HeldOut(int firstUid, int lastUidExclusive)
        {
            var clicks = kept.Where(i => uidOf[userArray[i]] >= firstUid && uidOf[userArray[i]] < lastUidExclusive && sidOf.ContainsKey(itemArrayAll[i])).ToArray();
            var (foldInUids, foldInSids, heldOutUids, heldOutSids) = (new List<int>(), new List<int>(), new List<int>(), new List<int>());
            random.Seed(options.Seed);
            foreach (var group in clicks.GroupBy(i => userArray[i]).OrderBy(g => g.Key))
            {
                var groupClicks = group.ToArray();
                var toPredict = new bool[groupClicks.Length];
                if (groupClicks.Length >= options.MinClicksToHoldOut)
                {
                    foreach (var position in random.ChooseWithoutReplacement(groupClicks.Length, (int)(options.HeldOutFraction * groupClicks.Length)))
                        toPredict[position] = true;
                }
                for (var p = 0; p < groupClicks.Length; p++)
                {
                    var (uid, sid) = (uidOf[group.Key], sidOf[itemArrayAll[groupClicks[p]]]);
                    (toPredict[p] ? heldOutUids : foldInUids).Add(uid);
                    (toPredict[p] ? heldOutSids : foldInSids).Add(sid);
                }
            }
            return HeldOutUsers.FromUserIds(foldInUids, foldInSids, heldOutUids, heldOutSids, itemIds.Count);
        }

        var validation = HeldOut(validationStart, testStart);
        var test = HeldOut(testStart, sortedUsers.Length);
        return new ImplicitFeedbackData(itemIds, train, validation, test);
    }

    private static Dictionary<long, int> CountBy(List<int> clicks, ReadOnlySpan<long> keys)
    {
        var counts = new Dictionary<long, int>();
        foreach (var i in clicks)
            counts[keys[i]] = counts.GetValueOrDefault(keys[i]) + 1;
        return counts;
    }
}
