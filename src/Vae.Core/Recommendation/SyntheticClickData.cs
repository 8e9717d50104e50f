namespace Vae.Core.Recommendation;

/// <summary>
/// Clicks made by <see cref="SyntheticClicks.Generate"/>, with the hidden structure that produced them, and the way
/// to split them like real data.
/// </summary>
public sealed class SyntheticClickData
{
    private readonly long[] _clickUsers;
    private readonly long[] _clickItems;

    internal SyntheticClickData(SyntheticClickOptions options, long[] clickUsers, long[] clickItems, int[] itemTopics, int[][] userTopics)
    {
        Options = options;
        _clickUsers = clickUsers;
        _clickItems = clickItems;
        ItemTopics = itemTopics;
        UserTopics = userTopics;
        Clicks = ClickMatrix.FromPairs(options.UserCount, options.ItemCount,
            clickUsers.Select(u => (int)u).ToArray(), clickItems.Select(i => (int)i).ToArray());
    }

    /// <summary>The options the data was made with.</summary>
    public SyntheticClickOptions Options { get; }

    /// <summary>Every click, users x items in generator ids (before any split).</summary>
    public ClickMatrix Clicks { get; }

    /// <summary>The topic of every item, by generator item id.</summary>
    public IReadOnlyList<int> ItemTopics { get; }

    /// <summary>The topics every user mixes, by generator user id.</summary>
    public IReadOnlyList<IReadOnlyList<int>> UserTopics { get; }

    /// <summary>
    /// Splits the clicks with <see cref="ReferenceSplit"/> as if they were a ratings file listed user after user in
    /// click order; item ids in <see cref="ImplicitFeedbackData.ItemIds"/> are generator item ids.
    /// </summary>
    /// <param name="options">The split; by default a tenth of the users for validation and another tenth for test.</param>
    /// <exception cref="ArgumentException">Too few users for the requested held-out sets, or an option is out of range.</exception>
    public ImplicitFeedbackData Split(ReferenceSplitOptions? options = null) =>
        ReferenceSplit.Split(_clickUsers, _clickItems, options ?? DefaultSplit());

    /// <summary>Splits as <see cref="Split"/> does and writes the reference folder layout; returns the split.</summary>
    /// <param name="folder">The folder to write; created when missing.</param>
    /// <param name="options">The split; by default a tenth of the users for validation and another tenth for test.</param>
    /// <exception cref="ArgumentException">Too few users for the requested held-out sets, or an option is out of range.</exception>
    public ImplicitFeedbackData WriteFolder(string folder, ReferenceSplitOptions? options = null)
    {
        var data = Split(options);
        ImplicitFeedbackFolder.Write(data, folder);
        return data;
    }

    private ReferenceSplitOptions DefaultSplit() => new() { HeldOutUsers = Math.Max(1, Options.UserCount / 10) };
}
