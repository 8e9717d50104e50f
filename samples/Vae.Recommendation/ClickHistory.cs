using Vae.Core.Recommendation;

namespace Vae.Recommendation;

/// <summary>
/// The users' clicks of a <c>user,item</c> CSV, in the catalogue of a model: users in the order they first appear,
/// each with its distinct items. Fields are taken as they stand between commas (ids hold no commas or quotes); every
/// problem is named by file, line and column.
/// </summary>
internal sealed class ClickHistory
{
    private ClickHistory(IReadOnlyList<string> users, ClickMatrix clicks, int skipped) => (Users, Clicks, SkippedClicks) = (users, clicks, skipped);

    /// <summary>The user ids, in the order of their first line; row u of <see cref="Clicks"/> is user u.</summary>
    public IReadOnlyList<string> Users { get; }

    /// <summary>The clicks, one row per user, in the model's item columns.</summary>
    public ClickMatrix Clicks { get; }

    /// <summary>Clicks on items the catalogue does not hold, skipped because they were asked to be.</summary>
    public int SkippedClicks { get; }

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header, a line or an item is wrong; the message names the file, line and column.</exception>
    public static ClickHistory Read(string path, IReadOnlyList<string> catalogue, bool ignoreUnknownItems)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The history file '{path}' does not exist.", path);
        var columns = new Dictionary<string, int>(catalogue.Count, StringComparer.Ordinal);
        for (var i = 0; i < catalogue.Count; i++) columns[catalogue[i]] = i;
        var users = new List<string>();
        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
        var (userOf, itemOf) = (new List<int>(), new List<int>());
        var skipped = 0;
        using var reader = new StreamReader(path);
        var header = reader.ReadLine();
        if (header is null || header.Trim() != "user,item")
            throw new InvalidDataException($"{path}, line 1: the header must be 'user,item', but was '{Shorten(header ?? "")}'.");
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var comma = line.IndexOf(',');
            if (comma < 0 || line.IndexOf(',', comma + 1) >= 0)
                throw new InvalidDataException($"{path}, line {lineNumber}: a line must hold two fields, user and item, but was '{Shorten(line)}'.");
            var user = line[..comma].Trim();
            var item = line[(comma + 1)..].Trim();
            if (user.Length == 0) throw new InvalidDataException($"{path}, line {lineNumber}, column 1: the user is empty.");
            if (item.Length == 0) throw new InvalidDataException($"{path}, line {lineNumber}, column 2: the item is empty.");
            if (line.Contains('"')) throw new InvalidDataException($"{path}, line {lineNumber}: quoted fields are not read; ids hold no quotes or commas.");
            var known = columns.TryGetValue(item, out var column);
            if (!known && !ignoreUnknownItems)
            {
                throw new InvalidDataException(
                    $"{path}, line {lineNumber}, column 2: the item '{Shorten(item)}' is not in the model's catalogue of {catalogue.Count:N0} items (--ignore-unknown-items skips such clicks).");
            }
            // A user whose every click is skipped keeps a row, and is recommended to from no clicks.
            if (!rows.TryGetValue(user, out var row))
            {
                row = users.Count;
                rows[user] = row;
                users.Add(user);
            }
            if (!known)
            {
                skipped++;
                continue;
            }
            userOf.Add(row);
            itemOf.Add(column);
        }
        return new ClickHistory(users, ClickMatrix.FromPairs(users.Count, catalogue.Count, userOf.ToArray(), itemOf.ToArray()), skipped);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
